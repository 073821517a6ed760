"""The booking burst: many visitors try to book the same retreat at the same moment.

    python -m bench.burst [--clients 200] [--seats 20] [--quick]

Starts a throwaway PostgreSQL, the local Stripe server and two gunicorn instances, fires the
burst, reads the seats taken back from the database, prints one line per figure, appends a row to
bench/RESULTS.md, and exits non-zero if a seat was oversold or any answer was an error.
"""

from __future__ import annotations

import argparse
import shlex
import shutil
import sys
import tempfile
import time
from pathlib import Path

from .figures import Figures, figure_lines, figures_from
from .load import run_burst, visitors_for
from .results import RESULTS_FILE, Machine, code_version, load_average, record_result, this_machine
from .retreat import (
    bookings_by_status,
    close_connections,
    create_bench_retreat,
    database_app,
    postgres_version,
    seats_taken_now,
)
from .stack import running_stack

DEFAULT_CLIENTS = 200
QUICK_CLIENTS = 50
DEFAULT_SEATS = 20


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.burst",
        description="Many visitors book one retreat at once; nothing may be oversold.",
    )
    parser.add_argument(
        "--clients", type=int, help=f"visitors in the burst (default {DEFAULT_CLIENTS})"
    )
    parser.add_argument("--seats", type=int, default=DEFAULT_SEATS, help="the retreat's capacity")
    parser.add_argument(
        "--quick", action="store_true", help=f"{QUICK_CLIENTS} clients unless --clients is given"
    )
    parser.add_argument(
        "--workers", type=int, default=2, help="gunicorn workers per instance (default 2)"
    )
    parser.add_argument(
        "--no-record", action="store_true", help="do not append the result to RESULTS.md"
    )
    parser.add_argument(
        "--keep-logs", action="store_true", help="keep the servers' logs (always kept on failure)"
    )
    args = parser.parse_args(argv)
    if args.clients is None:
        args.clients = QUICK_CLIENTS if args.quick else DEFAULT_CLIENTS
    if args.clients < 1 or args.seats < 1 or args.workers < 1:
        parser.error("--clients, --seats and --workers must be at least 1")
    return args


def run(args: argparse.Namespace, work_dir: Path) -> tuple[Figures, Machine]:
    """Start everything, fire the burst, read the database, stop everything."""
    load_at_start = load_average()
    with running_stack(work_dir=work_dir, workers=args.workers) as stack:
        app = database_app(stack.database_url)
        try:
            retreat = create_bench_retreat(app, seats=args.seats)
            visitors = visitors_for(
                clients=args.clients,
                instance_urls=stack.instance_urls,
                ticket_ids=retreat.ticket_ids,
            )
            print(
                f"burst: {args.clients} clients on {len(stack.instance_urls)} instances "
                f"({', '.join(stack.instance_urls)}), {args.seats} seats",
                flush=True,
            )
            answers = run_burst(visitors, slug=retreat.slug, pay_page_prefix=stack.pay_page_prefix)
            figures = figures_from(
                answers,
                seats=retreat.capacity,
                seats_taken=seats_taken_now(app, retreat.id),
                bookings_by_status=bookings_by_status(app, retreat.id),
            )
            machine = this_machine(
                postgres_version=postgres_version(app), load_at_start=load_at_start
            )
        finally:
            close_connections(app)
    return figures, machine


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    argv = sys.argv[1:] if argv is None else argv
    command = shlex.join(["python", "-m", "bench.burst", *argv])
    started = time.monotonic()
    code = code_version()
    work_dir = Path(tempfile.mkdtemp(prefix="retreats-bench-"))
    keep_logs = args.keep_logs
    try:
        figures, machine = run(args, work_dir)
        took = time.monotonic() - started
        lines = [*figure_lines(figures), *machine.lines(), f"code: {code}", f"took: {took:.0f} s"]
        for line in lines:
            print(line)
        if not args.no_record:
            record_result(
                figures=figures, machine=machine, code=code, command=command,
                took_seconds=took, path=RESULTS_FILE,
            )  # fmt: skip
            print(f"recorded in {RESULTS_FILE}")
        if figures.problems:
            keep_logs = True
            print("FAILED: " + "; ".join(figures.problems))
            return 1
        return 0
    except BaseException:
        keep_logs = True
        raise
    finally:
        if keep_logs:
            print(f"server logs kept in {work_dir}", file=sys.stderr)
        else:
            shutil.rmtree(work_dir, ignore_errors=True)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("interrupted: everything the run started is stopped", file=sys.stderr)
        sys.exit(130)
