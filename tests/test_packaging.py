"""A wheel carries the shipped data, and an installed placebased finds it from any folder (issue 13, item 3).

The wheel is built from a copy of the package sources and data folders (so nothing is written into the work
tree), without build isolation when the installed setuptools can build wheels on its own, else with pip's
usual isolated build. It is then unpacked, as pip installs a pure-Python wheel, into a folder that is the
only place placebased can be imported from, and a command runs in an empty folder.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from placebased import _paths

REPO = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


def _can_build_without_isolation() -> bool:
    import setuptools

    major, minor = (int(x) for x in setuptools.__version__.split(".")[:2])
    if (major, minor) >= (70, 1):  # bdist_wheel is part of setuptools from 70.1
        return True
    try:
        import wheel  # noqa: F401
    except ImportError:
        return False
    return True


def _copy_sources(dest: Path) -> None:
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(REPO / name, dest / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(REPO / "placebased", dest / "placebased", ignore=ignore)
    for folder in _paths.DATA_FOLDERS:
        shutil.copytree(REPO / folder, dest / folder, ignore=ignore)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    src = tmp_path_factory.mktemp("src")
    out = tmp_path_factory.mktemp("wheel")
    _copy_sources(src)
    cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(src)]
    if _can_build_without_isolation():
        cmd.insert(4, "--no-build-isolation")
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    (whl,) = out.glob("placebased-*.whl")
    return whl


def _shipped_files() -> set[str]:
    """The data files of the repository's data folders, as paths inside the wheel."""
    out = set()
    for folder in _paths.DATA_FOLDERS:
        for p in (REPO / folder).rglob("*"):
            if p.is_file() and p.suffix != ".py" and "__pycache__" not in p.parts:
                out.add(f"placebased/data/{folder}/{p.relative_to(REPO / folder).as_posix()}")
    for p in (REPO / "placebased" / "data").glob("*.toml"):
        out.add(f"placebased/data/{p.name}")
    return out


def test_the_wheel_holds_every_shipped_data_file(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    missing = sorted(_shipped_files() - names)
    assert not missing, f"shipped data not in the wheel (pyproject.toml [tool.setuptools.package-data]): {missing}"
    # the files placebased names are among them
    named = [v for v in vars(_paths).values() if isinstance(v, Path) and v.is_file()]
    assert len(named) >= 10
    for value in named:
        assert f"placebased/data/{value.relative_to(_paths.ROOT).as_posix()}" in names, value


def test_the_wheel_holds_every_module(wheel):
    """``packages`` in pyproject.toml lists the code packages by name: a new subpackage must be added there."""
    names = set(zipfile.ZipFile(wheel).namelist())
    modules = {p.relative_to(REPO).as_posix() for p in (REPO / "placebased").rglob("*.py")
               if "__pycache__" not in p.parts}
    missing = sorted(modules - names)
    assert not missing, f"modules not in the wheel (add their package to [tool.setuptools] packages): {missing}"


def test_an_installed_placebased_finds_its_data_from_any_folder(wheel, tmp_path):
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)  # what pip does with a pure-Python wheel
    work = tmp_path / "elsewhere"
    work.mkdir()
    code = (
        "import sys\n"
        "from importlib import resources\n"
        "import placebased\n"
        "from placebased import _paths\n"
        f"site = {str(site)!r}\n"
        "assert placebased.__file__.startswith(site), placebased.__file__\n"
        "data = resources.files('placebased') / 'data'\n"
        "for folder in _paths.DATA_FOLDERS:\n"
        "    assert (data / folder).is_dir(), folder\n"
        "    assert str(_paths.data_folder(folder)).startswith(site), _paths.data_folder(folder)\n"
        "assert (data / 'boundaries' / 'northants_lsoa21_bgc.geojson').is_file()\n"
        "assert (data / 'indicators' / 'catalogue.toml').is_file()\n"
        "assert len(_paths.default_incident_files()) == 9\n"
        "from placebased.cli import main\n"
        "sys.exit(main(['areas', '--out', 'a.csv']))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(site)}
    done = subprocess.run([sys.executable, "-c", code], cwd=work, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "443 areas" in done.stderr
    assert (work / "a.csv").read_text(encoding="utf-8").startswith("area_code,")


def test_a_checkout_reads_the_root_folders():
    """From the source tree (editable install, or app.py run from a clone) the data are the root folders."""
    for folder in _paths.DATA_FOLDERS:
        assert _paths.data_folder(folder) in (_paths.ROOT / folder, _paths.PACKAGE_DATA / folder)
        assert _paths.data_folder(folder).is_dir()
    with pytest.raises(ValueError):
        _paths.data_folder("nowhere")
