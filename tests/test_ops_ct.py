"""ct and decode with a stub terminology typed in from CDISC CT (NY, SEX, AESEV, UNIT)."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd
import pytest

from cdisc_als.errors import ConversionLog, SpecError
from cdisc_als.ops.ct import ct, decode
from cdisc_als.ops.registry import ROW_COLUMN, SOURCE_COLUMN, Context
from sdtm_fixtures import StubTerminology


def frame(**cols) -> pd.DataFrame:
    f = pd.DataFrame(cols)
    f[ROW_COLUMN] = range(1, len(f) + 1)
    f[SOURCE_COLUMN] = "ae.csv"
    return f


def ctx(study=None, raw_dir=None) -> Context:
    return Context(study=study, log=ConversionLog(), ct=StubTerminology(), domain="AE", target="AESER", raw_dir=raw_dir)


def test_ct_normalizes_synonyms_and_logs_unknown_values_with_codelist():
    c = ctx()
    f = frame(SER=["Yes", "no", "Y", "Maybe", None])
    assert list(ct(c, f, {"from": "SER", "codelist": "NY"})) == ["Y", "N", "Y", None, None]
    log = c.log.frame()
    assert len(log) == 1
    e = log.iloc[0]
    assert (e["row"], e["field"], e["value"], e["target"]) == (4, "SER", "Maybe", "AESER")
    assert "NY (C66742)" in e["reason"]


def test_ct_spec_map_comes_first():
    c = ctx()
    f = frame(SEV=["Mild Adverse Event", "Severe Adverse Event", "MODERATE"])
    out = ct(c, f, {"from": "SEV", "codelist": "C66769", "map": {"Mild Adverse Event": "MILD", "Severe Adverse Event": "SEVERE"}})
    assert list(out) == ["MILD", "SEVERE", "MODERATE"] and c.log.count() == 0


def test_ct_extend_only_for_extensible_codelists():
    c = ctx()
    f = frame(U=["mg", "10^6 cells/kg", "furlong"])
    out = ct(c, f, {"from": "U", "codelist": "UNIT", "extend": ["10^6 cells/kg"]})
    assert list(out) == ["mg", "10^6 cells/kg", None]
    assert list(c.log.frame()["value"]) == ["furlong"]
    with pytest.raises(SpecError, match="not extensible"):
        ct(ctx(), frame(S=["F"]), {"from": "S", "codelist": "SEX", "extend": ["X"]})
    with pytest.raises(SpecError, match="unknown codelist"):
        ct(ctx(), frame(S=["F"]), {"from": "S", "codelist": "NOPE"})


def test_study_ct_maps_collected_values(tmp_path):
    (tmp_path / "ct").mkdir()
    pd.DataFrame(
        {
            "codelist_code": ["C66731", "C66731", "AEREL", "AEREL"],
            "term_value": ["F", "M", "PROBABLE", "NONE"],
            "collected_value": ["Woman", "Man", "Probably Related", "Not Related"],
        }
    ).to_csv(tmp_path / "ct" / "study_ct.csv", index=False)
    study = SimpleNamespace(config={"raw": {"study_ct": "ct/study_ct.csv"}})
    c = ctx(study, tmp_path)
    assert list(ct(c, frame(S=["woman", "Man", "F"]), {"from": "S", "codelist": "C66731", "study_ct": True})) == ["F", "M", "F"]
    # a sponsor codelist known only from the study CT is checked against its terms
    out = ct(c, frame(R=["Probably Related", "NONE", "Perhaps"]), {"from": "R", "codelist": "AEREL", "study_ct": True})
    assert list(out) == ["PROBABLE", "NONE", None]
    assert "AEREL (study CT)" in c.log.frame().iloc[0]["reason"]


def test_decode_code_to_name():
    c = ctx()
    out = decode(c, frame(CD=["T0102", "T0101", "T0199"]), {"from": "CD", "codes": "T01TC", "codelist": "T01TN"})
    assert list(out) == ["T01-Salivation", "T01-Speech", None]
    assert list(c.log.frame()["value"]) == ["T0199"]


def test_hardcode_ct_normalizes_or_refuses():
    from cdisc_als.ops.ct import hardcode_ct

    assert hardcode_ct(ctx(), frame(A=[1]), {"value": "yes", "codelist": "NY"}) == "Y"
    with pytest.raises(SpecError, match="not a term of codelist NY"):
        hardcode_ct(ctx(), frame(A=[1]), {"value": "Perhaps", "codelist": "NY"})
