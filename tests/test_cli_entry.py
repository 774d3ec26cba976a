"""The CLI entry point: every listed command exists, and --help / --version stay light."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

from placebased.cli import COMMANDS, build_parser, main


@pytest.mark.parametrize("name", list(COMMANDS))
def test_every_listed_command_has_a_module_that_registers_it(name):
    module = importlib.import_module(f"placebased.commands.{name.replace('-', '_')}")
    parser = build_parser(only=name)
    sub = next(a for a in parser._actions if a.dest == "command")
    assert name in sub.choices
    assert callable(module.register)
    assert sub.choices[name].get_default("func") is not None


@pytest.mark.parametrize("flag", ["--version", "--help"])
def test_version_and_help_import_no_scientific_stack(flag):
    code = (f"import sys\nfrom placebased.cli import main\ntry:\n    main([{flag!r}])\nexcept SystemExit:\n    pass\n"
            "heavy = [m for m in ('pandas', 'geopandas', 'numba', 'numpy', 'shapely') if m in sys.modules]\n"
            "print('HEAVY', heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60).stdout
    assert "HEAVY []" in out, out


def test_unknown_command_is_a_one_line_usage_error(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["no-such-command"])
    assert exc.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_no_command_prints_help(capsys):
    assert main([]) == 1
    assert "COMMAND" in capsys.readouterr().out


def test_config_is_a_global_option_and_stays_light(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "--config FILE" in capsys.readouterr().out
    code = ("import sys\nfrom placebased.cli import main\ntry:\n    main(['--config', 'area.toml', '--help'])\n"
            "except SystemExit:\n    pass\n"
            "heavy = [m for m in ('pandas', 'geopandas', 'numba', 'numpy', 'shapely') if m in sys.modules]\n"
            "print('HEAVY', heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60).stdout
    assert "HEAVY []" in out, out
