"""Hand-written helpers for the SDTM engine tests: a miniature SDTMIG metadata folder (a few
variables of DM, AE, QS, EX, DS typed in from SDTMIG 3.4), a stub terminology and a study
folder writer. Kept tiny on purpose so tests do not depend on the curated ``specs/``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import yaml

from cdisc_als.standards import Standard
from cdisc_als.study import Study

# dataset, order, variable, label, type, core, codelist  (SDTMIG 3.4, subset)
VARIABLES = """\
DM|1|STUDYID|Study Identifier|Char|Req|
DM|2|DOMAIN|Domain Abbreviation|Char|Req|
DM|3|USUBJID|Unique Subject Identifier|Char|Req|
DM|4|SUBJID|Subject Identifier for the Study|Char|Req|
DM|5|RFSTDTC|Subject Reference Start Date/Time|Char|Exp|
DM|6|RFXSTDTC|Date/Time of First Study Treatment|Char|Exp|
DM|7|SITEID|Study Site Identifier|Char|Req|
DM|8|AGE|Age|Num|Exp|
DM|9|SEX|Sex|Char|Req|SEX
DM|10|DMDTC|Date/Time of Collection|Char|Perm|
DM|11|DMDY|Study Day of Collection|Num|Perm|
AE|1|STUDYID|Study Identifier|Char|Req|
AE|2|DOMAIN|Domain Abbreviation|Char|Req|
AE|3|USUBJID|Unique Subject Identifier|Char|Req|
AE|4|AESEQ|Sequence Number|Num|Req|
AE|5|AETERM|Reported Term for the Adverse Event|Char|Req|
AE|6|AEDECOD|Dictionary-Derived Term|Char|Req|
AE|7|AESEV|Severity/Intensity|Char|Perm|AESEV
AE|8|AESER|Serious Event|Char|Exp|NY
AE|9|EPOCH|Epoch|Char|Perm|EPOCH
AE|10|AESTDTC|Start Date/Time of Adverse Event|Char|Exp|
AE|11|AEENDTC|End Date/Time of Adverse Event|Char|Exp|
AE|12|AESTDY|Study Day of Start of Adverse Event|Num|Perm|
QS|1|STUDYID|Study Identifier|Char|Req|
QS|2|DOMAIN|Domain Abbreviation|Char|Req|
QS|3|USUBJID|Unique Subject Identifier|Char|Req|
QS|4|QSSEQ|Sequence Number|Num|Req|
QS|5|QSTESTCD|Question Short Name|Char|Req|
QS|6|QSTEST|Question Name|Char|Req|
QS|7|QSCAT|Category of Question|Char|Exp|
QS|8|QSORRES|Finding in Original Units|Char|Exp|
QS|9|QSSTRESC|Character Result/Finding in Std Format|Char|Exp|
QS|10|QSSTRESN|Numeric Finding in Standard Units|Num|Perm|
QS|11|QSBLFL|Baseline Flag|Char|Perm|NY
QS|12|VISITNUM|Visit Number|Num|Exp|
QS|13|VISIT|Visit Name|Char|Perm|
QS|14|QSDTC|Date/Time of Finding|Char|Exp|
QS|15|QSDY|Study Day of Visit/Collection/Exam|Num|Perm|
"""
DATASETS = """\
DM|Demographics|SPECIAL PURPOSE|One record per subject|STUDYID USUBJID
AE|Adverse Events|EVENTS|One record per adverse event per subject|STUDYID USUBJID AEDECOD AESTDTC
QS|Questionnaires|FINDINGS|One record per questionnaire per question per time point per visit per subject|STUDYID USUBJID QSCAT QSTESTCD VISITNUM
"""


def mini_standard(tmp: Path) -> Standard:
    """A Standard object over the miniature metadata above (written to ``tmp``)."""
    root = tmp / "sdtmig-mini"
    root.mkdir(parents=True, exist_ok=True)
    rows = [line.split("|") for line in VARIABLES.strip().splitlines()]
    pd.DataFrame(rows, columns=["dataset", "order", "variable", "label", "type", "core", "codelist"]).to_csv(
        root / "variables.csv", index=False
    )
    rows = [line.split("|") for line in DATASETS.strip().splitlines()]
    pd.DataFrame(rows, columns=["dataset", "label", "class", "structure", "keys"]).to_csv(
        root / "datasets.csv", index=False
    )
    return Standard("sdtmig-mini", root)


class StubCodelist:
    """Just enough of the Terminology interface: submission values and synonyms, case-insensitive."""

    def __init__(self, cid: str, code: str, values: dict[str, list[str]], extensible: bool):
        self.id, self.code, self.extensible, self.sponsor = cid, code, extensible, False
        self.values = list(values)
        self._lookup = {}
        for v, syns in values.items():
            for s in [v, *syns]:
                self._lookup[s.upper()] = v

    def normalize(self, series: pd.Series) -> pd.Series:
        return series.map(lambda v: self._lookup.get(str(v).strip().upper()) if v is not None else None, na_action="ignore")


class StubTerminology:
    """NY (C66742, non-extensible), SEX (C66731, non-extensible), AESEV (C66769, non-extensible),
    UNIT (C71620, extensible) and a QSTESTCD/QSTEST pair; values typed from CDISC CT."""

    def __init__(self):
        self.lists = {
            "NY": StubCodelist("NY", "C66742", {"N": ["No"], "NA": [], "U": ["Unknown"], "Y": ["Yes"]}, False),
            "SEX": StubCodelist("SEX", "C66731", {"F": ["Female"], "M": ["Male"], "U": [], "INTERSEX": []}, False),
            "AESEV": StubCodelist("AESEV", "C66769", {"MILD": [], "MODERATE": [], "SEVERE": []}, False),
            "UNIT": StubCodelist("UNIT", "C71620", {"mg": [], "kg": []}, True),
        }
        self.names = {"T01TC": {"T0101": "T01-Speech", "T0102": "T01-Salivation"}}

    def codelist(self, name: str) -> StubCodelist:
        for cl in self.lists.values():
            if name in (cl.id, cl.code):
                return cl
        raise KeyError(name)

    def decode(self, tc: str, tn: str, series: pd.Series) -> pd.Series:
        if tc not in self.names:
            raise KeyError(tc)
        return series.map(self.names[tc])


def write_study(tmp: Path, specs: dict[str, str], config: dict | None = None) -> Study:
    """A study folder with study.yaml and the given sdtm/<name>.yaml texts."""
    folder = tmp / "study"
    (folder / "sdtm").mkdir(parents=True, exist_ok=True)
    cfg = {"studyid": "TEST-01", "title": "t", "standards": {"sdtm": "sdtmig-mini", "ct": "2025-03-28"}}
    cfg.update(config or {})
    (folder / "study.yaml").write_text(yaml.safe_dump(cfg))
    for name, text in specs.items():
        (folder / "sdtm" / f"{name}.yaml").write_text(text)
    return Study(path=folder, config=cfg, sdtm_specs=sorted((folder / "sdtm").glob("*.yaml")))
