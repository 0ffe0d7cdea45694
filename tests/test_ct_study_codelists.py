"""A study can bring its own sponsor codelists (study.yaml `codelists:`), no change to the package."""

import pandas as pd
import pytest

from cdisc_als.errors import SpecError
from cdisc_als.ops.ct import get_ct
from cdisc_als.ops.registry import Context
from cdisc_als.study import load_study

STUDY = """studyid: ZZ-01
title: A study with its own codelist
standards: {sdtm: sdtmig-3.4, ct: "2025-03-28"}
codelists: [ct/zz.yaml]
"""
CODELIST = """codelists:
  - codelist: ZZ01TC
    name: ZZ Scale Test Code
    extensible: false
    sponsor: true
    terms:
      - {code: ZZ0101, submission_value: ZZ0101, preferred_term: ZZ Scale - Item One}
      - {code: ZZ0102, submission_value: ZZ0102, preferred_term: ZZ Scale - Item Two}
"""


def _study(tmp_path, codelist: str | None = CODELIST):
    (tmp_path / "study.yaml").write_text(STUDY)
    if codelist is not None:
        (tmp_path / "ct").mkdir()
        (tmp_path / "ct" / "zz.yaml").write_text(codelist)
    return load_study(tmp_path)


def test_study_codelist_is_used_by_the_mapping_operations(tmp_path):
    ct = get_ct(Context(study=_study(tmp_path)))
    codelist = ct.codelist("ZZ01TC")
    assert codelist.values == ["ZZ0101", "ZZ0102"] and codelist.sponsor
    assert codelist.contains(pd.Series(["ZZ0101", "ZZ0103"])).tolist() == [True, False]
    assert ct.codelist("NY").code == "C66742"  # the CDISC CT is still there


def test_missing_codelist_file_names_study_yaml(tmp_path):
    study = _study(tmp_path, codelist=None)
    with pytest.raises(SpecError, match=r"study\.yaml: codelists: codelist file .*zz\.yaml not found"):
        get_ct(Context(study=study))
