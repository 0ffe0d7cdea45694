"""Atomic file replacement shared by the writers.

A writer fills temporary files in the target folder (same file system, so ``os.replace`` is an
atomic rename) and only renames them onto their final names when every file was written. On any
failure the temporary files are removed: a failed write never leaves a partial or empty file and
never clobbers the previous version. ``write_datasets`` stages every file of a whole set of
datasets first, so one bad dataset means nothing of the set is written.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

Staged = list[tuple[Path, Path]]  # (temporary file, final path)


def temp_for(target: Path) -> Path:
    """A new empty temporary file in ``target``'s folder (created if missing)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    # mkstemp creates 0600; a submission file must be readable like any file the user writes
    os.fchmod(fd, 0o666 & ~_umask())
    os.close(fd)
    return Path(name)


def _umask() -> int:
    """The process umask (read by setting and restoring it: there is no getter)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def commit(staged: Staged) -> list[Path]:
    """Rename every staged temporary file onto its final path; returns the final paths.

    If a rename fails, the temporary files not yet renamed are removed before the error goes on.
    """
    try:
        for tmp, target in staged:
            os.replace(tmp, target)
    except BaseException:
        discard(staged)
        raise
    return [target for _, target in staged]


def discard(staged: Staged) -> None:
    """Remove the temporary files of ``staged`` (after a failure)."""
    for tmp, _ in staged:
        tmp.unlink(missing_ok=True)


@contextlib.contextmanager
def staging(targets: list[Path]) -> Iterator[Staged]:
    """Temporary files for ``targets``; removed again if the block fails (not committed)."""
    staged: Staged = []
    try:
        for target in targets:
            staged.append((temp_for(target), target))
        yield staged
    except BaseException:
        discard(staged)
        raise


@contextlib.contextmanager
def atomic_paths(targets: list[Path]) -> Iterator[list[Path]]:
    """Temporary paths next to ``targets``, renamed onto them when the block succeeds."""
    with staging(targets) as staged:
        yield [tmp for tmp, _ in staged]
        commit(staged)
