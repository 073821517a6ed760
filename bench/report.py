"""What a benchmark scenario reports: figures, printed one per line and recorded in RESULTS.md."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

RESULTS_FILE = Path(__file__).resolve().parent / "RESULTS.md"


@dataclass(frozen=True)
class Figure:
    """One measured figure; a target says what it must be, and met whether it was."""

    scenario: str  # "catalog, 50 retreats"
    name: str  # "requests/s"
    value: str  # formatted with its unit: "4120 req/s", "12 ms", "0"
    target: str = ""  # "≥ 0.5 × hello-world"; empty for a figure shown for context
    met: bool | None = None  # None when there is no target

    def line(self) -> str:
        verdict = "" if self.met is None else ("  [ok]" if self.met else "  [MISSED]")
        target = f"  (target {self.target})" if self.target else ""
        return f"{self.scenario} | {self.name}: {self.value}{target}{verdict}"


def figure(scenario: str, name: str, value: str, *, target: str = "", met: bool | None = None):
    return Figure(scenario=scenario, name=name, value=value, target=target, met=met)


def ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else float("inf")


def record_figures(
    figures: list[Figure], *, machine: str, code: str, command: str, path: Path = RESULTS_FILE
) -> None:
    """Append one dated row per figure to the table that ends RESULTS.md."""
    date = datetime.now(UTC).strftime("%Y-%m-%d %H:%M")
    with path.open("a") as results:
        for item in figures:
            met = "" if item.met is None else ("yes" if item.met else "**no**")
            cells = [date, machine, code, f"`{command}`", item.scenario, item.name, item.value]
            cells += [item.target, met]
            results.write("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |\n")
