"""CLI contract basics: help, version, exit code 2 on a study that does not exist."""

from typer.testing import CliRunner

from cdisc_als import __version__
from cdisc_als.cli import app

runner = CliRunner()


def test_help_lists_every_command():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for cmd in ("raw", "sdtm", "adam", "validate", "define", "build", "compare"):
        assert cmd in result.output


def test_version():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert __version__ in result.output


def test_unknown_study_exits_2_with_message(tmp_path):
    result = runner.invoke(app, ["raw", "--study", str(tmp_path / "nope"), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "not a study folder" in result.output
