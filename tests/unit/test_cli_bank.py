"""`interview-rooms bank check` names a question it does not know instead of checking nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.operations.cli import main


def test_an_unknown_question_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    assert main(["bank", "check", "--question", "no-such-question"]) == 2
    assert "no question 'no-such-question'" in capsys.readouterr().err
