"""Organizers' uploads: cover images and preparation guide PDFs, checked by content and stored
under names made from that content, never from the uploader's file name.

A cover image is decoded with Pillow (the name and the declared type prove nothing), turned the
right way up, shrunk to at most MAX_COVER_SIDE pixels and re-encoded, which drops every piece of
metadata (GPS position, camera, the author's name). Its stored name carries a hash of the new
bytes and the size, e.g. `3f9a…-1600x900.jpg`, so it can be cached forever and the pages can
give the browser its width and height without opening the file.

Checking (prepare_*) happens while the form validates; writing (store) happens in the service,
just before its commit, and a file written for a commit that failed is removed (discard).
"""

from __future__ import annotations

import hashlib
import io
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from PIL import Image, ImageOps, UnidentifiedImageError

from retreats.errors import DomainError

COVERS = "covers"
GUIDES = "guides"
MAX_COVER_SIDE = 1600
# Refuse pictures that decode to more pixels than this before decoding them (a "zip bomb").
MAX_COVER_PIXELS = 40_000_000
COVER_FORMATS = {"JPEG", "PNG", "WEBP"}
COVER_NAME = re.compile(r"^[0-9a-f]{32}-(\d{1,5})x(\d{1,5})\.(jpg|webp)$")
GUIDE_NAME = re.compile(r"^[0-9a-f]{32}\.pdf$")


class UploadRejected(DomainError):
    """The file is not what the field takes, or is too large; the message says which."""


@dataclass(frozen=True)
class PreparedUpload:
    """Checked bytes ready to be written, and the name they will have on disk."""

    folder: str
    name: str
    content: bytes


@dataclass(frozen=True)
class StoredUpload:
    path: Path
    created: bool  # False when the same bytes were already stored (e.g. by a duplicate)

    def discard(self) -> None:
        """Remove the file again, if writing it was this upload's doing."""
        if self.created:
            self.path.unlink(missing_ok=True)


def _read_limited(stream, max_bytes: int, what: str) -> bytes:
    content = stream.read(max_bytes + 1)
    if len(content) > max_bytes:
        raise UploadRejected(f"{what} is too large: the most we take is {_megabytes(max_bytes)}.")
    if not content:
        raise UploadRejected(f"{what} is empty.")
    return content


def _megabytes(size: int) -> str:
    if size < 1024 * 1024:
        return f"{max(size // 1024, 1)} KB"
    return f"{size / (1024 * 1024):g} MB"


def prepare_cover_image(stream) -> PreparedUpload:
    """Check that `stream` holds a JPEG, PNG or WebP picture; return it cleaned and re-encoded."""
    content = _read_limited(stream, current_app.config["MAX_COVER_IMAGE_BYTES"], "That image")
    not_a_picture = UploadRejected(
        "That file is not a picture we can use: please upload a JPEG, PNG or WebP image."
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(content), formats=sorted(COVER_FORMATS)) as image:
                width, height = image.size
                if width * height > MAX_COVER_PIXELS:
                    raise UploadRejected("That image has too many pixels: please make it smaller.")
                image.load()
                picture = ImageOps.exif_transpose(image)
    except UploadRejected:
        raise
    except (
        UnidentifiedImageError,
        OSError,
        ValueError,
        SyntaxError,
        EOFError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    ) as error:
        raise not_a_picture from error
    picture.thumbnail((MAX_COVER_SIDE, MAX_COVER_SIDE), Image.Resampling.LANCZOS)
    return _encoded_cover(picture)


def _encoded_cover(picture: Image.Image) -> PreparedUpload:
    """Save without any metadata: WebP when the picture has transparency, JPEG otherwise."""
    output = io.BytesIO()
    has_alpha = picture.mode in ("RGBA", "LA", "PA") or "transparency" in picture.info
    if has_alpha:
        picture.convert("RGBA").save(output, format="WEBP", quality=85, method=4)
        extension = "webp"
    else:
        picture.convert("RGB").save(
            output, format="JPEG", quality=85, optimize=True, progressive=True
        )
        extension = "jpg"
    content = output.getvalue()
    digest = hashlib.sha256(content).hexdigest()[:32]
    width, height = picture.size
    return PreparedUpload(COVERS, f"{digest}-{width}x{height}.{extension}", content)


def prepare_guide_pdf(stream) -> PreparedUpload:
    """Check that `stream` holds a PDF (by its first bytes) no larger than the limit."""
    content = _read_limited(stream, current_app.config["MAX_GUIDE_PDF_BYTES"], "That PDF")
    if not content.startswith(b"%PDF-"):
        raise UploadRejected("That file is not a PDF: please upload the guide as a PDF document.")
    digest = hashlib.sha256(content).hexdigest()[:32]
    return PreparedUpload(GUIDES, f"{digest}.pdf", content)


def upload_folder(folder: str) -> Path:
    return Path(current_app.config["UPLOAD_FOLDER"]) / folder


def store(upload: PreparedUpload) -> StoredUpload:
    """Write the prepared bytes under their content name (all at once, via a temporary file)."""
    directory = upload_folder(upload.folder)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / upload.name
    if path.exists():
        return StoredUpload(path, created=False)
    partial = directory / f".{upload.name}.partial"
    partial.write_bytes(upload.content)
    partial.replace(path)
    return StoredUpload(path, created=True)


def cover_size(name: str | None) -> tuple[int, int] | None:
    """The (width, height) a stored cover's name records, or None for no or a foreign name."""
    match = COVER_NAME.match(name or "")
    return (int(match.group(1)), int(match.group(2))) if match else None


def is_guide_name(name: str | None) -> bool:
    return bool(GUIDE_NAME.match(name or ""))
