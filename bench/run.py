"""`make bench`: every scenario against one throwaway PostgreSQL, one line per figure.

    python -m bench [--quick] [--only pages,burst] [--no-record]
                    [--rush-server gthread:2x16] [--stripe-delay-ms 400]

Each scenario (bench/scenarios/) gets its own fresh database and starts the servers it needs,
on 127.0.0.1 and free ports, and stops them when it ends (on failure and Ctrl-C too). Every
figure is printed as it is measured, and at the end appended to bench/RESULTS.md as one dated
row. The exit status is 1 when a figure missed its target.
"""

from __future__ import annotations

import argparse
import importlib
import shlex
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from devtools.postgres import running_postgres

from .databases import Databases
from .machine import code_version, load_average, this_machine
from .report import RESULTS_FILE, Figure, record_figures
from .scenarios import SCENARIOS
from .stack import PRODUCTION_SERVER, STRIPE_DELAY_MS, ServerSetup


@dataclass(frozen=True)
class Bench:
    """What every scenario is handed."""

    quick: bool  # the short form: fewer rows, fewer seconds of load
    work_dir: Path  # logs and state of the servers it starts
    databases: Databases
    rush_server: ServerSetup = PRODUCTION_SERVER  # how gunicorn serves the app in `rush`
    stripe_delay_ms: int = STRIPE_DELAY_MS  # how late the local Stripe answers in `rush`

    def seconds(self, full: float, quick: float) -> float:
        return quick if self.quick else full


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="the short form (under 2 minutes)")
    parser.add_argument(
        "--only", default="", help=f"comma-separated scenarios, of: {', '.join(SCENARIOS)}"
    )
    parser.add_argument("--no-record", action="store_true", help="do not append to RESULTS.md")
    parser.add_argument(
        "--rush-server",
        type=server_setup,
        default=PRODUCTION_SERVER,
        metavar="CLASS:WORKERS[xTHREADS]",
        help="how gunicorn serves the app in the rush scenario, e.g. gthread:2x16 "
        f"(default: the production setup, {PRODUCTION_SERVER.label})",
    )
    parser.add_argument(
        "--stripe-delay-ms",
        type=int,
        default=STRIPE_DELAY_MS,
        metavar="N",
        help=f"how late the local Stripe answers in the rush scenario (default {STRIPE_DELAY_MS})",
    )
    args = parser.parse_args(argv)
    if args.stripe_delay_ms < 0:
        parser.error("--stripe-delay-ms must be 0 or more")
    args.scenarios = [name for name in args.only.split(",") if name] or SCENARIOS
    unknown = sorted(set(args.scenarios) - set(SCENARIOS))
    if unknown:
        parser.error(f"unknown scenario(s): {', '.join(unknown)}")
    return args


def server_setup(text: str) -> ServerSetup:
    try:
        return ServerSetup.parse(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    argv = sys.argv[1:] if argv is None else argv
    command = shlex.join(["python", "-m", "bench", *argv])
    started = time.monotonic()
    load_at_start = load_average()
    code = code_version()
    work_dir = Path(tempfile.mkdtemp(prefix="retreats-bench-"))
    figures: list[Figure] = []
    failed = True
    try:
        with running_postgres() as server_url:
            databases = Databases(server_url)
            databases.prepare_template()
            bench = Bench(
                quick=args.quick,
                work_dir=work_dir,
                databases=databases,
                rush_server=args.rush_server,
                stripe_delay_ms=args.stripe_delay_ms,
            )
            for name in args.scenarios:
                print(f"--- {name}", flush=True)
                scenario_started = time.monotonic()
                module = importlib.import_module(f"bench.scenarios.{name}")
                for item in module.run(bench):
                    print(item.line(), flush=True)
                    figures.append(item)
                print(f"({name} took {time.monotonic() - scenario_started:.0f} s)", flush=True)
            machine = this_machine(
                postgres_version=databases.server_version(), load_at_start=load_at_start
            )
        took = time.monotonic() - started
        missed = [item for item in figures if item.met is False]
        print(*machine.lines(), f"code: {code}", f"took: {took:.0f} s", sep="\n")
        if not args.no_record:
            record_figures(figures, machine=machine.summary(), code=code, command=command)
            print(f"recorded {len(figures)} figures in {RESULTS_FILE}")
        if missed:
            print("MISSED: " + "; ".join(f"{m.scenario} {m.name} {m.value}" for m in missed))
            return 1
        failed = False
        return 0
    finally:
        if failed:
            print(f"server logs kept in {work_dir}", file=sys.stderr)
        else:
            shutil.rmtree(work_dir, ignore_errors=True)
