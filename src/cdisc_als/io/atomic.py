"""Atomic file replacement shared by the writers.

A writer fills temporary files in the target folder (same file system, so ``os.replace`` is an
atomic rename) and only renames them onto their final names when every file was written. On any
failure the temporary files are removed: a failed write never leaves a partial or empty file and
never clobbers the previous version.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def atomic_paths(targets: list[Path]) -> Iterator[list[Path]]:
    """Temporary paths next to ``targets``, renamed onto them when the block succeeds."""
    temps: list[Path] = []
    try:
        for target in targets:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
            os.close(fd)
            temps.append(Path(name))
        yield temps
        for tmp, target in zip(temps, targets, strict=True):
            os.replace(tmp, target)
    except BaseException:
        for tmp in temps:
            tmp.unlink(missing_ok=True)
        raise
