"""CPU time the servers spent, read from /proc (Linux): a whole process group, or one process.

Each count includes the CPU time of the children a process has reaped (cutime, cstime), so a
gunicorn worker that exits between two readings is still counted: before, in its own line;
after, in its arbiter's.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

PROC = Path("/proc")


def process_group_cpu_seconds(group_id: int) -> float:
    """CPU seconds (user + system) spent so far by every process of the group `group_id`."""
    ticks = 0
    for stat_path in PROC.glob("[0-9]*/stat"):
        fields = _stat_fields(stat_path)
        if fields is not None and fields.group_id == group_id:
            ticks += fields.cpu_ticks
    return ticks / os.sysconf("SC_CLK_TCK")


def process_cpu_seconds(pid: int) -> float:
    """CPU seconds (user + system) spent so far by the process `pid`."""
    fields = _stat_fields(PROC / str(pid) / "stat")
    if fields is None:
        raise RuntimeError(f"process {pid} is gone")
    return fields.cpu_ticks / os.sysconf("SC_CLK_TCK")


class _StatFields(NamedTuple):
    group_id: int
    cpu_ticks: int


def _stat_fields(stat_path: Path) -> _StatFields | None:
    """The process group and CPU ticks of one /proc/<pid>/stat; None if the process is gone."""
    try:
        line = stat_path.read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    # The command name (field 2) is in parentheses and may hold spaces or ")": split after it.
    # Then field 3 (state) is rest[0]; so field n is rest[n - 3] (proc(5)).
    rest = line[line.rindex(")") + 2 :].split()
    group_id = int(rest[5 - 3])
    utime, stime, cutime, cstime = (int(rest[n - 3]) for n in (14, 15, 16, 17))
    return _StatFields(group_id=group_id, cpu_ticks=utime + stime + cutime + cstime)
