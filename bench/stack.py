"""The system under test: the local Stripe server and gunicorn instances on one PostgreSQL.

Everything listens on 127.0.0.1 on free ports and is stopped when the block ends, on failure and
on Ctrl-C too. Each gunicorn instance runs in its own process group, so stopping it stops its
workers with it. The local Stripe server keeps its state in memory only: saving it to a file
costs more with every object made, and a benchmark would measure that.
"""

from __future__ import annotations

import os
import re
import runpy
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from devtools.gunicorn_runner import running_gunicorn
from devtools.local_stripe.runner import REPO_ROOT, free_port, running_local_stripe

INSTANCES = 2
# Both instances must share it: the CSRF token one instance signs, the other must accept.
BENCH_SECRET_KEY = "bench-only-secret-key-shared-by-every-instance"
WEBHOOK_SECRET = "whsec_local_dev"
STARTUP_TIMEOUT = 60
# Real Stripe answers an API call in a few hundred milliseconds; the local server, at once
# unless told otherwise (`python -m devtools.local_stripe --api-delay-ms`).
STRIPE_DELAY_MS = 400


@dataclass(frozen=True)
class ServerSetup:
    """How gunicorn serves the app: its worker class, workers, and request threads per worker."""

    worker_class: str = "sync"
    workers: int = 2
    threads: int = 1

    @classmethod
    def parse(cls, text: str) -> ServerSetup:
        """`sync:2`, `gthread:2x16`, `gevent:2`: the worker class, the workers [x threads each]."""
        match = re.fullmatch(r"(\w+):(\d+)(?:x(\d+))?", text.strip())
        if match is None:
            raise ValueError(f"{text!r} is not CLASS:WORKERS or CLASS:WORKERSxTHREADS")
        worker_class, workers, threads = match.group(1), int(match.group(2)), match.group(3)
        setup = cls(worker_class=worker_class, workers=workers, threads=int(threads or 1))
        if setup.workers < 1 or setup.threads < 1:
            raise ValueError(f"{text!r}: at least one worker and one thread")
        if setup.worker_class == "sync" and setup.threads > 1:
            # gunicorn would quietly run gthread workers instead, under a label that says sync.
            raise ValueError(f"{text!r}: a sync worker has one thread; say gthread:…x{threads}")
        return setup

    @property
    def label(self) -> str:
        """`sync 2`, `gthread 2x16`: for figure names."""
        threads = f"x{self.threads}" if self.threads > 1 else ""
        return f"{self.worker_class} {self.workers}{threads}"

    def gunicorn_options(self) -> dict[str, object]:
        """The keywords of devtools.gunicorn_runner's running_gunicorn and gunicorn_process."""
        return {"worker_class": self.worker_class, "workers": self.workers, "threads": self.threads}


def production_server(workers: int = 2) -> ServerSetup:
    """How production serves the app (gunicorn.conf.py, which every gunicorn started from the
    project's folder reads), with `workers` workers: one per core of this 2-core machine."""
    settings = runpy.run_path(str(REPO_ROOT / "gunicorn.conf.py"))
    return ServerSetup(
        worker_class=settings["worker_class"], workers=workers, threads=settings.get("threads", 1)
    )


PRODUCTION_SERVER = production_server()


@dataclass(frozen=True)
class Stack:
    database_url: str
    stripe_url: str
    instance_urls: tuple[str, ...]

    @property
    def pay_page_prefix(self) -> str:
        """Where a granted hold sends the visitor: the local Stripe server's pay page."""
        return f"{self.stripe_url}/checkout/pay/"


def app_environment(database_url: str, **settings: str) -> dict[str, str]:
    """The environment of an app process: this one's, with the bench's settings on top."""
    environment = os.environ.copy()
    environment.update(
        {
            "DATABASE_URL": database_url,
            # Empty rather than absent: a developer's .env with real Stripe keys must not win.
            "STRIPE_SECRET_KEY": "",
            "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "SECRET_KEY": BENCH_SECRET_KEY,
            # Nothing listens there, and no outbox worker runs: email stays off the request path.
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": str(free_port()),
            "MAIL_SUPPRESS_SEND": "true",
            # Every benchmark client comes from 127.0.0.1; a real rush comes from many addresses.
            "RATE_LIMITS_ENABLED": "false",
        }
    )
    environment.update(settings)
    return environment


@contextmanager
def running_stack(
    *, database_url: str, work_dir: Path, workers: int, instances: int = INSTANCES, **settings: str
) -> Iterator[Stack]:
    """Local Stripe and `instances` gunicorn instances sharing it and one migrated database.

    `settings` are extra environment variables for the instances (MAIL_PORT …).
    """
    with ExitStack() as stack:
        ports = _distinct_free_ports(instances)
        # Stripe's webhooks go to the first instance, as a load balancer would pick one.
        public_base_url = f"http://127.0.0.1:{ports[0]}"
        stripe_url = stack.enter_context(
            running_local_stripe(
                state_dir=work_dir / "local-stripe",
                webhook_url=f"{public_base_url}/stripe/webhook",
                webhook_secret=WEBHOOK_SECRET,
                memory_only=True,
            )
        )
        environment = app_environment(
            database_url,
            STRIPE_API_BASE=stripe_url,
            PUBLIC_BASE_URL=public_base_url,
            **settings,
        )
        instance_urls = tuple(
            stack.enter_context(
                running_gunicorn(
                    env=environment,
                    port=port,
                    workers=workers,
                    log_dir=work_dir,
                    startup_timeout=STARTUP_TIMEOUT,
                )
            )
            for port in ports
        )
        yield Stack(database_url=database_url, stripe_url=stripe_url, instance_urls=instance_urls)


def _distinct_free_ports(count: int) -> list[int]:
    ports: list[int] = []
    while len(ports) < count:
        port = free_port()
        if port not in ports:
            ports.append(port)
    return ports
