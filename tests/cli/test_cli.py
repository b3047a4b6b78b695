"""The ``luoshi`` command line, run in-process: help for every subcommand, dispatch, and --data-dir."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from luoshi import cli

SUBCOMMANDS = [name for name in cli.COMMANDS if name != "manage"]


def run(args: list[str]) -> int:
    """``luoshi.cli.main`` as the console script runs it: argparse's help and errors exit via SystemExit."""
    try:
        return cli.main(args)
    except SystemExit as exc:
        return int(exc.code or 0)


@pytest.fixture(autouse=True)
def _keep_environment(monkeypatch):
    """``main`` writes LUOSHI_DATA_DIR for the settings of a process that has not loaded them yet."""
    monkeypatch.delenv("LUOSHI_DATA_DIR", raising=False)


@pytest.fixture(autouse=True)
def _english():
    """Messages are matched in English, whatever the default language and its translations."""
    with translation.override("en"):
        yield


@pytest.mark.parametrize("args", [[], ["--help"], ["-h"], ["help"]])
def test_help_lists_every_subcommand_with_its_description(args, capsys):
    assert run(args) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: luoshi <command>")
    for name, description in cli.COMMANDS.items():
        assert f"  {name} " in out
        assert description in out


@pytest.mark.parametrize("name", SUBCOMMANDS)
def test_every_subcommand_has_help(name, capsys):
    assert run([name, "--help"]) == 0
    assert f"usage: luoshi {name}" in capsys.readouterr().out


def test_help_for_a_subcommand_by_name(capsys):
    assert run(["help", "demo"]) == 0
    out = capsys.readouterr().out
    assert "usage: luoshi demo" in out
    for option in ("--host", "--port", "--data-dir", "--admin-password", "--reset", "--no-serve"):
        assert option in out


def test_serve_help_names_its_options(capsys):
    assert run(["serve", "--help"]) == 0
    out = capsys.readouterr().out
    for option in ("--host", "--port", "--workers", "--threads", "--data-dir"):
        assert option in out


def test_manage_passes_through_to_django(capsys):
    assert run(["manage", "--help"]) == 0
    out = capsys.readouterr().out
    assert "luoshi manage help <subcommand>" in out
    assert "migrate" in out


def test_manage_runs_a_django_command(capsys):
    assert run(["manage", "check"]) == 0
    assert "no issues" in capsys.readouterr().out


def test_unknown_subcommand_is_refused_with_the_list(capsys):
    assert run(["frobnicate"]) == 2
    err = capsys.readouterr().err
    assert "unknown command 'frobnicate'" in err
    assert "demo" in err


def test_version(capsys):
    assert run(["--version"]) == 0
    assert capsys.readouterr().out.startswith("luoshi ")


def test_data_dir_is_put_in_the_environment_before_django_loads(tmp_path, capsys):
    run(["manage", "--data-dir", str(tmp_path / "d"), "help"])
    assert os.environ["LUOSHI_DATA_DIR"] == str((tmp_path / "d").resolve())
    capsys.readouterr()


@pytest.mark.parametrize(
    ("args", "value", "rest"),
    [
        (["--data-dir", "x", "--port", "1"], "x", ["--port", "1"]),
        (["--port", "1", "--data-dir=y"], "y", ["--port", "1"]),
        (["--data-dir", "a", "--data-dir", "b"], "b", []),
        (["--reset"], None, ["--reset"]),
        (["--data-dir"], None, ["--data-dir"]),
        (["--", "--data-dir", "z"], None, ["--", "--data-dir", "z"]),
    ],
)
def test_take_data_dir(args, value, rest):
    assert cli.take_data_dir(args) == (value, rest)


def test_a_data_dir_that_comes_after_the_settings_is_refused(tmp_path):
    with pytest.raises(CommandError, match="came too late"):
        call_command("demo", data_dir=str(tmp_path), no_serve=True)


def test_the_console_script_is_declared():
    pyproject = (Path(__file__).resolve().parents[2] / "pyproject.toml").read_text()
    assert 'luoshi = "luoshi.cli:main"' in pyproject
