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
