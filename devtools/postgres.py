"""A throwaway PostgreSQL cluster for tests and benchmarks: 127.0.0.1, a free port, fsync off.

initdb refuses to run as root, so as root the cluster belongs to the `postgres` system user and
every server command runs through `runuser -u postgres`. The cluster lives in a temporary folder
that is removed when the block ends.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from devtools.local_stripe.runner import free_port


def postgres_bin_dir() -> Path:
    """The newest PostgreSQL server binaries installed from Debian's packages."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_major_version)
    if not candidates:
        raise RuntimeError(
            "PostgreSQL server binaries not found: install Debian's postgresql package "
            "(`make test` does so when run as root)."
        )
    return Path(candidates[-1]).parent


def _major_version(initdb_path: str) -> int:
    return int(Path(initdb_path).parent.parent.name)


def _as_cluster_owner(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@contextmanager
def running_postgres(*, port: int | None = None, max_connections: int = 300) -> Iterator[str]:
    """Start a fresh cluster; yields a SQLAlchemy URL for its `postgres` database."""
    port = port or free_port()
    bin_dir = postgres_bin_dir()
    folder = Path(tempfile.mkdtemp(prefix="retreats-pg-"))
    data_dir = folder / "data"
    if os.geteuid() == 0:
        shutil.chown(folder, user="postgres", group="postgres")
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.PIPE, "check": True}
    try:
        subprocess.run(
            _as_cluster_owner(
                [str(bin_dir / "initdb"), "-D", str(data_dir), "-U", "postgres",
                 "--auth=trust", "--encoding=UTF8", "--no-sync"]
            ),
            **quiet,
        )  # fmt: skip
        options = (
            f"-h 127.0.0.1 -p {port} -k {folder} -c fsync=off -c synchronous_commit=off "
            f"-c full_page_writes=off -c max_connections={max_connections}"
        )
        subprocess.run(
            _as_cluster_owner(
                [str(bin_dir / "pg_ctl"), "-D", str(data_dir), "-o", options,
                 "-l", str(folder / "server.log"), "-w", "-t", "60", "start"]
            ),
            **quiet,
        )  # fmt: skip
        try:
            yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
        finally:
            subprocess.run(
                _as_cluster_owner(
                    [str(bin_dir / "pg_ctl"), "-D", str(data_dir), "-m", "immediate", "-w", "stop"]
                ),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                check=False,
            )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
