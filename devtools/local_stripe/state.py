# SPDX-License-Identifier: GPL-3.0-or-later
# This module imports localstripe (GPL-3.0-or-later) and is therefore GPL-3.0-or-later too.
# It is development and test tooling, run as a separate process; retreats/ never imports it.
"""localstripe's store, kept in a state directory of our own instead of /tmp.

localstripe writes every instance's state to ``/tmp/localstripe.pickle``, shared by all the
servers on the machine. ``use_state_dir`` turns its one store into a ``StateDirStore``;
``keep_in_memory_only`` into a ``MemoryOnlyStore``, which never touches a file.
"""

import os
import pickle
from pathlib import Path

from localstripe.resources import Store, store

STATE_FILE_NAME = "localstripe.pickle"


class StateDirStoreError(RuntimeError):
    """The saved state cannot be read back."""


class StateDirStore(Store):
    """localstripe's Store, saved to ``path`` (written whole, then renamed into place)."""

    path: Path = Path("instance/local-stripe") / STATE_FILE_NAME

    def try_load_from_disk(self) -> None:
        try:
            with self.path.open("rb") as state_file:
                # B301: our own state file, written by dump_to_disk (localstripe pickles too).
                saved = pickle.load(state_file)  # nosec B301
        except FileNotFoundError:
            return
        except Exception as error:
            raise StateDirStoreError(
                f"cannot read {self.path} ({error}); delete it or start with --from-scratch"
            ) from error
        self.clear()
        self.update(saved)

    def dump_to_disk(self) -> None:
        partial = self.path.with_name(self.path.name + ".partial")
        with partial.open("wb") as state_file:
            pickle.dump(dict(self), state_file, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(partial, self.path)


def use_state_dir(state_dir: Path) -> Path:
    """Keep localstripe's store in ``state_dir`` (created if missing); the state file's path."""
    state_dir.mkdir(parents=True, exist_ok=True)
    StateDirStore.path = state_dir / STATE_FILE_NAME
    store.__class__ = StateDirStore
    return StateDirStore.path


class MemoryOnlyStore(Store):
    """localstripe's Store, never saved nor loaded: for benchmarks.

    localstripe saves the whole store on every write, so with a file each new object costs time
    in proportion to the objects made before it, which a benchmark would measure.
    """

    def try_load_from_disk(self) -> None:
        pass

    def dump_to_disk(self) -> None:
        pass


def keep_in_memory_only() -> None:
    """Keep localstripe's store in memory only: nothing is written to or read from a file."""
    store.__class__ = MemoryOnlyStore
