"""`build` without --raw needs a study with a raw generator; it says so instead of failing later."""

from typer.testing import CliRunner

from cdisc_als.cli import app


def test_build_without_raw_for_a_study_without_generator_exits_2(tmp_path):
    result = CliRunner().invoke(app, ["build", "--study", "cdiscpilot01", "--out", str(tmp_path / "o")])
    assert result.exit_code == 2, result.output
    assert "CDISCPILOT01 has no raw data generator" in result.output
    assert "--raw DIR" in result.output
    assert not (tmp_path / "o" / "m5" / "datasets" / "cdiscpilot01" / "tabulations" / "sdtm" / "dm.xpt").exists()
