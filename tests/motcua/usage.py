"""Calls a command's main() in-process and returns what an operator would see."""
from __future__ import annotations

from collections.abc import Callable

import pytest


def outcome(main: Callable[[list[str]], int], argv: list[str], capsys: pytest.CaptureFixture) -> tuple[int, str]:
    """(exit code, stderr) whether main() returns its code or argparse exits."""
    try:
        code = main(argv)
    except SystemExit as exc:
        code = exc.code
    return code, capsys.readouterr().err


def assert_one_line_error(main, argv: list[str], capsys, expected: str, code: int = 2) -> str:
    got, err = outcome(main, argv, capsys)
    lines = [line for line in err.splitlines() if line.strip()]
    assert got == code, err
    assert "Traceback" not in err
    assert len(lines) == 1, err
    assert expected in lines[0], lines[0]
    return lines[0]
