"""Draw the demo listings' cover images: calm abstract pictures in warm colours, one per listing.

    .venv/bin/python devtools/make_demo_covers.py

writes static/demo-covers/<slug>.webp (1200x675, each well under 40 KB). The output is committed,
so this only needs running again to change the pictures; `flask demo seed` copies them into the
upload folder (retreats/demo/covers.py). Drawing is seeded, so a run is reproducible.
"""

from __future__ import annotations

import math
import random
import sys
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageFilter

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "static" / "demo-covers"
SIZE = (1200, 675)
MAX_BYTES = 40_000

Colour = tuple[int, int, int]

# Per focus: sky top, sky bottom, then the shapes' colours from far to near.
PALETTES: dict[str, tuple[Colour, ...]] = {
    "emotional": ((246, 222, 206), (236, 178, 160), (214, 134, 116), (176, 92, 80), (128, 62, 58)),
    "physical": ((248, 230, 200), (238, 188, 140), (222, 150, 104), (190, 110, 72), (140, 76, 52)),
    "intellectual": (
        (244, 236, 220),
        (214, 220, 198),
        (170, 186, 158),
        (120, 146, 124),
        (80, 106, 92),
    ),
    "spiritual": (
        (240, 226, 214),
        (214, 196, 220),
        (176, 150, 190),
        (134, 106, 150),
        (92, 70, 110),
    ),
}

# slug: (focus palette, composition, seed). Slugs are those of retreats/demo/*.py.
COVERS: dict[str, tuple[str, str, int]] = {
    "couples-intimacy-weekend": ("emotional", "hills", 1),
    "spiritual-intimacy-retreat-ubud": ("spiritual", "terraces", 2),
    "slow-love-alpine-couples-retreat": ("emotional", "mountains", 3),
    "coming-home-to-yourself-brecon": ("emotional", "lone_sun", 4),
    "tuscany-couples-retreat": ("physical", "hills", 5),
    "emotional-intimacy-workshop-berlin": ("emotional", "two_circles", 6),
    "love-mapping-evening-london": ("intellectual", "ripples", 7),
    "eye-gazing-breath-syncing-brooklyn": ("physical", "two_circles", 8),
    "closer-conversations-online": ("intellectual", "two_circles", 9),
    "touch-trust-presence-sydney": ("physical", "waves", 10),
    "curious-minds-salon-toronto": ("intellectual", "lone_sun", 11),
    "partner-breathwork-amsterdam": ("physical", "waves", 12),
}


def gradient(top: Colour, bottom: Colour) -> Image.Image:
    """A vertical gradient from `top` to `bottom`."""
    mask = Image.linear_gradient("L").resize(SIZE)
    return Image.composite(Image.new("RGB", SIZE, bottom), Image.new("RGB", SIZE, top), mask)


def disc(centre: tuple[float, float], radius: float, opacity: int, blur: float) -> Image.Image:
    """A mask holding one soft-edged filled circle."""
    layer = Image.new("L", SIZE, 0)
    x, y = centre
    ImageDraw.Draw(layer).ellipse((x - radius, y - radius, x + radius, y + radius), fill=opacity)
    return layer.filter(ImageFilter.GaussianBlur(blur))


def glow(
    picture: Image.Image,
    centre: tuple[float, float],
    radius: float,
    colour: Colour,
    opacity: int,
    blur: float,
) -> None:
    """A soft round light laid over the picture."""
    picture.paste(Image.new("RGB", SIZE, colour), mask=disc(centre, radius, opacity, blur))


def ridge(
    picture: Image.Image, points: list[tuple[float, float]], colour: Colour, softness: float = 1.5
) -> None:
    """Fill everything below the line through `points` (a hill, a wave, a terrace)."""
    width, height = SIZE
    layer = Image.new("L", SIZE, 0)
    ImageDraw.Draw(layer).polygon([(0, height), *points, (width, height)], fill=255)
    mask = layer.filter(ImageFilter.GaussianBlur(softness))
    picture.paste(Image.new("RGB", SIZE, colour), mask=mask)


def wavy_line(
    rng: random.Random, base: float, amplitude: float, waves: float, sharp: bool = False
) -> list[tuple[float, float]]:
    width = SIZE[0]
    phase, second = rng.uniform(0, math.tau), rng.uniform(0, math.tau)
    points = []
    for step in range(0, width + 1, 6):
        t = step / width
        wave = math.sin(t * waves * math.tau + phase)
        if sharp:
            wave = 1 - 2 * abs(wave)
        wave += 0.35 * math.sin(t * waves * 2.3 * math.tau + second)
        points.append((step, base - amplitude * wave))
    return points


def draw(focus: str, composition: str, seed: int) -> Image.Image:
    rng = random.Random(seed)
    sky_top, sky_bottom, *shapes = PALETTES[focus]
    picture = gradient(sky_top, sky_bottom)
    width, height = SIZE
    light = (255, 246, 232)
    if composition in ("hills", "mountains", "lone_sun", "terraces"):
        sun = (rng.uniform(0.25, 0.75) * width, rng.uniform(0.25, 0.4) * height)
        glow(picture, sun, 150, light, 150, 70)
        glow(picture, sun, 70, light, 230, 6)
        layers = 4 if composition == "terraces" else 3
        for index in range(layers):
            colour = shapes[min(index, len(shapes) - 1)]
            base = height * (0.55 + 0.12 * index)
            if composition == "mountains" and index == 0:
                ridge(picture, wavy_line(rng, base - 30, 90, 1.1, sharp=True), colour, softness=2)
            elif composition == "terraces":
                ridge(picture, wavy_line(rng, base - 30, 18, 1.2), colour, softness=1)
            else:
                amplitude = 26 if composition == "lone_sun" else 45
                ridge(picture, wavy_line(rng, base, amplitude, rng.uniform(0.8, 1.4)), colour)
    elif composition == "two_circles":
        y = height * rng.uniform(0.45, 0.55)
        gap = rng.uniform(120, 160)
        left = disc((width / 2 - gap, y), 200, 190, 24)
        right = disc((width / 2 + gap, y), 200, 160, 24)
        picture.paste(Image.new("RGB", SIZE, shapes[0]), mask=left)
        picture.paste(Image.new("RGB", SIZE, shapes[2]), mask=right)
        # Where the two meet, a warm light.
        picture.paste(Image.new("RGB", SIZE, light), mask=ImageChops.multiply(left, right))
    elif composition == "ripples":
        centre = (width * rng.uniform(0.3, 0.7), height * rng.uniform(0.55, 0.75))
        for index, radius in enumerate(range(640, 60, -110)):
            colour = shapes[index % 2] if index % 2 else sky_top
            glow(picture, centre, radius, colour, 90 + 20 * index, 30)
        glow(picture, centre, 60, light, 220, 8)
    elif composition == "waves":
        glow(picture, (width * rng.uniform(0.6, 0.8), height * 0.3), 130, light, 200, 50)
        for index, colour in enumerate(shapes):
            base = height * (0.5 + 0.13 * index)
            ridge(picture, wavy_line(rng, base, 22, rng.uniform(1.5, 2.5)), colour, softness=3)
    else:
        raise ValueError(f"unknown composition {composition!r}")
    return picture


def save(picture: Image.Image, path: Path) -> int:
    """Save as WebP at the best quality that stays under MAX_BYTES; return the size."""
    for quality in (82, 74, 66, 58, 50):
        picture.save(path, format="WEBP", quality=quality, method=6)
        if path.stat().st_size <= MAX_BYTES:
            break
    return path.stat().st_size


def main() -> int:
    OUTPUT.mkdir(parents=True, exist_ok=True)
    for slug, (focus, composition, seed) in COVERS.items():
        path = OUTPUT / f"{slug}.webp"
        size = save(draw(focus, composition, seed), path)
        print(f"{path.relative_to(ROOT)}  {size / 1024:.1f} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
