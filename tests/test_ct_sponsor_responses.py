"""Sponsor response codelists of the ALSFRS-R and Modified Ashworth Scale (not in CDISC CT)."""

import pandas as pd

from cdisc_als.ct import load_ct


def test_alsfrs_items_are_scored_zero_to_four():
    ct = load_ct()
    for cl in ("ALSF01OR", "ALSF01SR"):
        codelist = ct.codelist(cl)
        assert codelist.values == ["0", "1", "2", "3", "4"]
        assert codelist.sponsor and not codelist.extensible


def test_ashworth_grades_and_their_standardized_scores():
    ct = load_ct()
    assert ct.codelist("MAS01OR").values == ["0", "1", "1+", "2", "3", "4"]
    assert ct.codelist("MAS01SR").values == ["0", "1", "1.5", "2", "3", "4"]
    # the grade 1+ and its standardized 1.5 are the same term (shared sponsor code)
    orr = ct.codelist("MAS01OR").terms.set_index("submission_value")["code"]
    srr = ct.codelist("MAS01SR").terms.set_index("submission_value")["code"]
    assert orr["1+"] == srr["1.5"]


def test_out_of_scale_values_are_not_in_the_lists():
    ct = load_ct()
    found = ct.codelist("MAS01OR").contains(pd.Series(["1+", "5", "1.5"])).tolist()
    assert found == [True, False, False]
    assert not ct.codelist("ALSF01OR").contains(pd.Series(["5"])).any()
