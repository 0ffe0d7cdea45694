"""Written dataset files get the usual permissions (umask), not mkstemp's private 0600."""

import os

import pandas as pd

from cdisc_als.dataset import Dataset
from cdisc_als.io import write_datasets


def test_written_files_are_readable_by_group_and_others(tmp_path):
    old = os.umask(0o022)
    try:
        ds = Dataset(name="DM", label="Demographics", data=pd.DataFrame({"STUDYID": ["S1"]}))
        (path,) = write_datasets({"DM": ds}, tmp_path, ["xpt"])
    finally:
        os.umask(old)
    assert path.name == "dm.xpt"
    assert oct(path.stat().st_mode & 0o777) == oct(0o644)


def test_failed_commit_leaves_no_temporary_file(tmp_path):
    import pytest

    from cdisc_als.io.atomic import commit, temp_for

    good, blocked = tmp_path / "dm.xpt", tmp_path / "ae.xpt"
    blocked.mkdir()  # a folder where the file should go: the rename fails
    (blocked / "keep").write_text("x")
    staged = [(temp_for(good), good), (temp_for(blocked), blocked)]
    with pytest.raises(OSError):
        commit(staged)
    assert good.is_file()  # renamed before the failure
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ae.xpt", "dm.xpt"]  # no .tmp left
