"""Area configuration files (``--config area.toml``, issue 14): parsing, bad files, paths relative to the file,
the CLI (flags win over the file) and the app started on a file without uploads."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
from conftest import shown

from placebased import _paths
from placebased import pipeline as P  # noqa: N812
from placebased.cli import build_parser, main
from placebased.commands._common import parse_with_config
from placebased.config import AreaConfig, config_path, from_argv, load
from placebased.errors import ConfigError

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "docs" / "example-area.toml"
LEICESTER = Path(__file__).parent / "data" / "leicester_lsoa21_30.geojson"


@pytest.fixture
def leicester_config(tmp_path) -> Path:
    """A configuration in its own folder, naming the boundaries by a path relative to it."""
    (tmp_path / "data").mkdir()
    shutil.copy(LEICESTER, tmp_path / "data" / "leicester.geojson")
    cfg = tmp_path / "conf" / "leicester.toml"
    cfg.parent.mkdir()
    cfg.write_text('name = "Leicester centre"\n\n[areas]\nboundaries = "../data/leicester.geojson"\n'
                   'id_column = "LSOA21CD"\nvintage = 2025\n', encoding="utf-8")
    return cfg


def test_the_example_points_at_the_shipped_data():
    cfg = load(EXAMPLE)
    assert cfg.label == "Northamptonshire (shipped data)" and cfg.vintage == 2025
    src = cfg.sources()
    assert Path(src.boundaries) == _paths.LSOA21_BOUNDARIES.resolve() and src.id_column == "LSOA21CD"
    assert [Path(p) for p in src.incidents] == [_paths.POLICE_UK_DEFAULT.resolve()]
    assert Path(src.provision) == _paths.NHS_PROVISION.resolve() and src.tables == ()
    assert cfg.get("areas", "name_column") == "LSOA21NM"


def test_relative_paths_are_read_from_the_config_file_s_folder(leicester_config, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path / "data")  # the working folder plays no part
    cfg = load(leicester_config)
    assert cfg.get("areas", "boundaries") == str((tmp_path / "data" / "leicester.geojson").resolve())
    assert cfg.sources().boundaries == cfg.get("areas", "boundaries")


def test_no_config_is_the_shipped_data():
    assert AreaConfig().sources() == P.Sources()
    assert AreaConfig().sources(2019) == P.Sources(vintage=2019)
    assert from_argv(["-q", "tests/test_config.py"]) is None  # e.g. pytest's own arguments


def test_uploads_replace_the_file_s_data_of_their_kind(tmp_path):
    (tmp_path / "inc.csv").write_text("x\n", encoding="utf-8")
    (tmp_path / "t.csv").write_text("x\n", encoding="utf-8")
    (tmp_path / "area.toml").write_text(
        f'[areas]\nboundaries = "{LEICESTER.as_posix()}"\nid_column = "CODE"\n'
        '[incidents]\nfiles = "inc.csv"\ndate_format = "%m/%d/%Y"\n[indicators]\ntables = ["t.csv"]\n',
        encoding="utf-8")
    cfg = load(tmp_path / "area.toml")
    src = cfg.sources()
    assert src.boundaries == str(LEICESTER) and src.id_column == "CODE"
    assert src.incidents == (str(tmp_path / "inc.csv"),) and src.incident_options == (("date_format", "%m/%d/%Y"),)
    assert src.tables == (str(tmp_path / "t.csv"),)
    up = cfg.sources(2025, "upload.geojson", None, incidents=("up.csv",), tables=("u.csv",), provision="p.csv")
    assert (up.boundaries, up.id_column, up.incidents, up.incident_options) == ("upload.geojson", None, ("up.csv",), ())
    assert up.tables == ("u.csv",) and up.provision == "p.csv"


BAD = [
    ("[areas]\nboundary = 'x.geojson'\n", "[areas] boundary: unknown key (did you mean 'boundaries'?)"),
    ("[area]\nboundaries = 'x.geojson'\n", "unknown key 'area' (did you mean 'areas'?)"),
    ("vintage = 2025\n", "vintage belongs in a section; write [areas] on the line above it"),
    ("areas = 'x'\n", "areas must be a section"),
    ("[areas]\nboundaries = 'nowhere.geojson'\n", "[areas] boundaries: 'nowhere.geojson' not found (looked for "),
    ("[areas]\nvintage = '2025'\n", "[areas] vintage = '2025': write 2025"),
    ("[areas]\nvintage = 2021\n", "[areas] vintage = 2021: write 2025"),
    ("[areas]\nid_column = 7\n", "[areas] id_column must be a non-empty text in quotes"),
    ("[incidents]\nfiles = 3\n", "[incidents] files must be a list of texts"),
    ("[incidents]\ncrs = 'osgb'\n", "[incidents] crs = 'osgb': write \"wgs84\""),
    ("[areas\nvintage = 2025\n", "not valid TOML (Expected ']'"),
]


@pytest.mark.parametrize(("text", "expected"), BAD)
def test_a_bad_file_is_one_line_naming_file_key_and_fix(tmp_path, text, expected):
    path = tmp_path / "area.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load(path)
    message = str(exc.value)
    assert message.startswith(f"{path}: ") and "\n" not in message
    assert expected in message, message


def test_a_missing_or_binary_config_file(tmp_path):
    with pytest.raises(ConfigError, match="config file not found; check the path"):
        load(tmp_path / "none.toml")
    (tmp_path / "bin.toml").write_bytes(b"\xff\xfe\x00\x81")
    with pytest.raises(ConfigError, match="not a text file"):
        load(tmp_path / "bin.toml")


def test_config_option_on_the_command_line():
    assert config_path(["--config", "a.toml", "areas", "--out", "x.csv"]) == (["areas", "--out", "x.csv"], "a.toml")
    assert config_path(["areas", "--config=a.toml"]) == (["areas"], "a.toml")
    assert config_path(["areas"]) == (["areas"], None)
    with pytest.raises(ConfigError, match="--config needs a FILE"):
        config_path(["areas", "--config"])
    with pytest.raises(ConfigError, match="given 2 times"):
        config_path(["--config", "a.toml", "--config", "b.toml"])


def _parse(argv, cfg):
    argv = [*argv, "--out", "x.csv"]
    return parse_with_config(build_parser(only=argv[0]), argv[0], argv, cfg)


def test_flags_on_the_command_line_win_over_the_file(tmp_path, capsys):
    (tmp_path / "inc.csv").write_text("x\n", encoding="utf-8")
    (tmp_path / "sites.csv").write_text("x\n", encoding="utf-8")
    (tmp_path / "area.toml").write_text(
        f'[areas]\nboundaries = "{LEICESTER.as_posix()}"\nid_column = "LSOA21CD"\nvintage = 2019\n'
        '[incidents]\nfiles = ["inc.csv"]\ndate_format = "%m/%d/%Y"\n'
        '[provision]\nfile = "sites.csv"\ntype_column = "Kind"\n', encoding="utf-8")
    cfg = load(tmp_path / "area.toml")
    args = _parse(["counts"], cfg)
    assert (args.boundaries, args.id_column, args.vintage) == (str(LEICESTER), "LSOA21CD", 2019)
    assert args.incidents == [str(tmp_path / "inc.csv")] and args.date_format == "%m/%d/%Y"
    assert "--boundaries --id-column --vintage --incidents --date-format" in capsys.readouterr().err
    args = _parse(["counts", "--vintage", "2025", "--date-format", "%d/%m/%Y"], cfg)  # one key each
    assert args.vintage == 2025 and args.date_format == "%d/%m/%Y" and args.boundaries == str(LEICESTER)
    args = _parse(["counts", "--incidents", "other.csv"], cfg)  # the data named: the file's section is replaced
    assert args.incidents == ["other.csv"] and args.date_format is None
    args = _parse(["counts", "--la", "Rutland"], cfg)
    assert args.la == ["Rutland"] and args.boundaries is None and args.id_column is None and args.vintage == 2025
    args = _parse(["gaps"], cfg)  # --provision is required on the command line, unless the file gives it
    assert args.provision == str(tmp_path / "sites.csv") and args.type_column == "Kind"
    with pytest.raises(SystemExit):
        _parse(["gaps"], AreaConfig(path=tmp_path / "area.toml"))
    assert "--provision" in capsys.readouterr().err
    args = _parse(["areas"], cfg)  # a command without incidents takes the keys it has
    assert not hasattr(args, "incidents") and args.boundaries == str(LEICESTER)


def test_the_cli_runs_on_a_config(leicester_config, tmp_path, capsys):
    out = tmp_path / "a.csv"
    assert main(["--config", str(leicester_config), "areas", "--out", str(out)]) == 0
    assert "30 areas" in capsys.readouterr().err
    assert len(out.read_text(encoding="utf-8").splitlines()) == 31
    assert main(["areas", "--out", str(out), "--config", str(leicester_config), "--boundaries",
                 str(_paths.LSOA21_BOUNDARIES)]) == 0
    assert "443 areas" in capsys.readouterr().err  # the command line's boundaries (and their id column)


def test_the_example_gives_what_the_defaults_give(tmp_path):
    """The example names the shipped files, so it gives the shipped areas exactly."""
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    assert main(["--config", str(EXAMPLE), "areas", "--out", str(a)]) == 0
    assert main(["areas", "--out", str(b)]) == 0
    assert a.read_bytes() == b.read_bytes()


def test_a_bad_config_on_the_cli_is_one_line(tmp_path, capsys):
    (tmp_path / "area.toml").write_text("[areas]\nboundary = 'x'\n", encoding="utf-8")
    assert main(["--config", str(tmp_path / "area.toml"), "areas", "--out", str(tmp_path / "a.csv")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {tmp_path / 'area.toml'}: [areas] boundary: unknown key") and err.count("\n") == 1
    assert main(["areas", "--config"]) == 2
    assert "--config needs a FILE" in capsys.readouterr().err
    assert not (tmp_path / "a.csv").exists()


def _app(monkeypatch, config: Path):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setattr(sys, "argv", ["app.py", "--config", str(config)])  # streamlit run app.py -- --config FILE
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=300)
    at.run()
    return at


def test_the_app_starts_on_a_config_without_uploads(monkeypatch, leicester_config):
    at = _app(monkeypatch, leicester_config)
    assert not at.exception and not at.error, [e.value for e in at.error] + [e.value for e in at.exception]
    captions = " ".join(shown(c.value) for c in at.caption)
    assert "30 areas" in captions
    assert "Data: Leicester centre (--config leicester.toml)" in captions
    assert at.session_state["area_config"].path == leicester_config
    shown_text = " ".join(shown(x.value) for x in list(at.caption) + list(at.info) + list(at.warning))
    assert "not the shipped Northamptonshire ones" in shown_text  # no incidents in the file: indicators only


def test_the_app_shows_a_bad_config_as_one_line(monkeypatch, tmp_path):
    bad = tmp_path / "area.toml"
    bad.write_text("[areas]\nla = ['Leicester']\n", encoding="utf-8")
    at = _app(monkeypatch, bad)
    assert not at.exception
    (message,) = [shown(e.value) for e in at.error]
    assert "area.toml: [areas] la: the app reads a boundary file" in message and "fetch-areas" in message
    bad.write_text("[areas]\nvintage = 2030\n", encoding="utf-8")
    at = _app(monkeypatch, bad)
    assert not at.exception and "[areas] vintage = 2030" in shown(at.error[0].value)
