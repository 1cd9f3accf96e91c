"""Every option of every command has help text, and its default is shown (issue: first contact)."""
from __future__ import annotations

import argparse

import pytest

import importlib

from ingestion.generator.__main__ import build_parser as generator_parser
from workcal.__main__ import build_parser as calendar_parser
from motcua.cli import SUBCOMMANDS


def _parser_of(target: str):
    # every subcommand's module exposes build_parser() beside its main(argv)
    return importlib.import_module(target.split(":")[0]).build_parser


PARSERS = {name: _parser_of(target) for name, (target, _) in SUBCOMMANDS.items()}


def every_parser(parser: argparse.ArgumentParser):
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                yield from every_parser(sub)


def test_every_subcommand_of_motcua_is_checked_here():
    # a subcommand added without build_parser() fails here instead of escaping the help checks
    assert set(PARSERS) == set(SUBCOMMANDS) and len(PARSERS) >= 6


@pytest.mark.parametrize("name", sorted(PARSERS))
def test_every_option_has_help_and_shows_its_default(name):
    for parser in every_parser(PARSERS[name]()):
        formatter = parser.formatter_class(parser.prog)
        for action in parser._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            label = f"{parser.prog} {'/'.join(action.option_strings) or action.dest}"
            if isinstance(action, argparse._SubParsersAction):
                for choice in action._choices_actions:
                    assert choice.help and choice.help.strip(), f"{label} {choice.dest}: no help"
                continue
            assert action.help and action.help.strip() and action.help != argparse.SUPPRESS, f"{label}: no help"
            if action.option_strings and action.default is not None and action.default is not False:
                assert "default" in formatter._get_help_string(action), f"{label}: default {action.default!r} not shown"


def test_the_generator_help_shows_the_defaults_a_user_starts_from(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "300")  # no wrapping inside the fragments below
    with pytest.raises(SystemExit) as exc:
        generator_parser().parse_args(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for fragment in ("random seed: the same seed and options give the same messages (default: 42)",
                     "first day (YYYY-MM-DD) (default: 2026-01-05)", "calendar days simulated (default: 30)",
                     "new cases per working day, all agencies together (default: 200)",
                     "redelivery rate per event (default: 0.0)", "comma-separated agency codes (default: all)",
                     "partitions when the topic must be created (default: 12)"):
        assert fragment in out, fragment


def test_the_calendar_help_shows_its_default_output(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "300")
    with pytest.raises(SystemExit):
        calendar_parser().parse_args(["export-seed", "--help"])
    out = capsys.readouterr().out
    assert "output CSV (created or replaced) (default: " in out
    assert "calendar_vn_holidays.csv)" in out
    assert "first year written (required)" in out
