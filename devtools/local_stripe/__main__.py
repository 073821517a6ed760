# SPDX-License-Identifier: GPL-3.0-or-later
# This module imports localstripe (GPL-3.0-or-later) and is therefore GPL-3.0-or-later too.
# It is development and test tooling, run as a separate process; retreats/ never imports it.
"""python -m devtools.local_stripe: localstripe with Checkout Sessions, on 127.0.0.1."""

import argparse
import logging
from pathlib import Path

from aiohttp import web

from .server import configure_app
from .state import StateDirStoreError

# Refused, never bound: they would expose the server beyond this machine (so bandit's B104,
# binding to all interfaces, does not apply to this list).
ALL_INTERFACES = {"", "0.0.0.0", "::", "[::]", "*"}  # nosec B104


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m devtools.local_stripe",
        description="A local Stripe stand-in: localstripe plus Checkout Sessions.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (loopback)")
    parser.add_argument("--port", type=int, default=8420)
    parser.add_argument("--state-dir", type=Path, default=Path("instance/local-stripe"))
    parser.add_argument("--webhook-url", help="where signed events are posted")
    parser.add_argument("--webhook-secret", default="whsec_local_dev")
    parser.add_argument("--from-scratch", action="store_true", help="ignore the saved state")
    parser.add_argument(
        "--memory-only",
        action="store_true",
        help="keep the state in memory only: no state file is read or written (for benchmarks)",
    )
    parser.add_argument(
        "--api-delay-ms",
        type=int,
        default=0,
        metavar="N",
        help="answer every API request (/v1/…) N ms late, as real Stripe does (default 0)",
    )
    args = parser.parse_args(argv)
    if args.host in ALL_INTERFACES:
        parser.error("refusing to listen on every interface; use a loopback address")
    if args.api_delay_ms < 0:
        parser.error("--api-delay-ms must be 0 or more")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    host_in_url = f"[{args.host}]" if ":" in args.host else args.host
    base_url = f"http://{host_in_url}:{args.port}"
    try:
        app = configure_app(
            state_dir=args.state_dir,
            public_url=base_url,
            webhook_url=args.webhook_url,
            webhook_secret=args.webhook_secret,
            from_scratch=args.from_scratch,
            memory_only=args.memory_only,
            api_delay_ms=args.api_delay_ms,
        )
    except StateDirStoreError as error:
        raise SystemExit(f"local stripe: {error}") from None
    logging.getLogger("devtools.local_stripe").info("listening on %s", base_url)
    web.run_app(app, host=args.host, port=args.port, print=None)


if __name__ == "__main__":
    main()
