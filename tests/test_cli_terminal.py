"""Text from files never drives the terminal: whatever a command prints goes through
``safety.terminal_text`` (escape sequences, carriage returns and bidirectional overrides shown as visible
escapes), because ``cli.main`` wraps stdout and stderr while the command runs."""

from __future__ import annotations

import sys

from placebased import cli
from placebased.commands import areas as areas_cmd
from placebased.safety import TerminalSafe, terminal_text

EVIL = "Kingsley\x1b[2J\x1b]0;owned\x07 ward\rOK \u202eevil\u202c \x9b31m"


def test_terminal_text_known_answers():
    assert terminal_text("plain £ text\twith tab\n") == "plain £ text\twith tab\n"
    assert terminal_text("\x1b[31m") == "\\x1b[31m"
    assert terminal_text("a\rb") == "a\\x0db"
    assert terminal_text("\u202eabc") == "\\u202eabc"
    assert terminal_text("\x9b") == "\\x9b"  # the one-byte CSI
    assert terminal_text(None) == "None"


def test_every_print_of_a_command_is_made_safe(monkeypatch, capsys):
    def run(_args):
        print(f"top area: {EVIL}")
        print(f"note: {EVIL}", file=sys.stderr)
        return 0

    monkeypatch.setattr(areas_cmd, "run", run)
    assert cli.main(["areas", "--out", "unused.csv"]) == 0
    out, err = capsys.readouterr()
    for text in (out, err):
        assert "\x1b" not in text and "\r" not in text and "\u202e" not in text and "\x9b" not in text
        assert "Kingsley\\x1b[2J" in text and "\\u202eevil" in text
    assert not isinstance(sys.stdout, TerminalSafe), "the streams are restored after the command"


def test_an_error_message_is_made_safe(monkeypatch, capsys):
    from placebased.errors import DataError

    def run(_args):
        raise DataError(f"areas.geojson, row 3: the name {EVIL!s} is not allowed")

    monkeypatch.setattr(areas_cmd, "run", run)
    assert cli.main(["areas", "--out", "unused.csv"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: areas.geojson, row 3") and "\x1b" not in err and "\\x1b" in err
