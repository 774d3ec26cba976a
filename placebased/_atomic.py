"""Write files whole or not at all: write to a temporary file beside the target, then rename.

* A half-written file never appears: on any error the temporary file is removed and the target is
  left as it was.
* The new file gets the permissions any other tool would give it: those of the file it replaces,
  else ``0o666`` less the process's umask (``mkstemp`` alone would leave every output ``0600``).
* A target that cannot be written (a folder, a missing or read-only folder, a full disk) raises a
  one-line :class:`~placebased.errors.DataError` naming the path, never a traceback.

Every export (tables, map layers, PDF/HTML/PNG documents) is written by :mod:`placebased.io.export`,
which defuses spreadsheet formulas in tables and uses these functions; only files that are not exports
(caches, the browser's geometry file, a saved scenario) call them directly.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

from placebased.errors import DataError, PlaceBasedError, file_error

_UMASK_LOCK = threading.Lock()
_FIX = "choose another --out path"


def current_umask() -> int:
    """The process's umask, read without changing it where the system allows (Linux ``/proc``).

    Elsewhere it is read by setting and restoring it under a lock (``os.umask`` has no read-only form).
    """
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    with _UMASK_LOCK:
        old = os.umask(0o077)
        os.umask(old)
    return old


def _new_file_mode(target: Path) -> int:
    """Permissions for a new ``target``: those of the file it replaces, else 0o666 less the umask."""
    with contextlib.suppress(OSError):
        st = target.stat()
        if stat.S_ISREG(st.st_mode):
            return stat.S_IMODE(st.st_mode)
    return 0o666 & ~current_umask()


def _os_problem(e: OSError, target: Path, folder: Path) -> DataError:
    """A one-line error for an OSError met while writing ``target``."""
    why = e.strerror or type(e).__name__
    if isinstance(e, IsADirectoryError) or target.is_dir():
        return file_error(target, "is a folder, not a file", f"give a file name inside it, e.g. {target / 'out.csv'}")
    if isinstance(e, PermissionError) or e.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return file_error(target, f"cannot write in the folder {folder} ({why})",
                          "choose a folder you can write to, or change its permissions")
    if isinstance(e, NotADirectoryError):
        return file_error(target, f"{folder} is not a folder", _FIX)
    if e.errno in (errno.ENOSPC, errno.EDQUOT):
        return file_error(target, f"the disk is full ({why}); nothing was written",
                          "free some space or write elsewhere")
    return file_error(target, f"cannot write the file ({why}); nothing was written", _FIX)


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path in the target's folder; rename it onto ``target`` on success.

    On any exception the temporary file is removed and ``target`` is untouched. An ``OSError``
    (folder, permissions, full disk) becomes a one-line :class:`~placebased.errors.DataError`.
    """
    target = Path(target)
    folder = target.parent if str(target.parent) else Path(".")
    if target.is_dir():
        raise _os_problem(IsADirectoryError(errno.EISDIR, "is a folder"), target, folder)
    if not folder.exists():
        raise file_error(target, f"folder {folder} does not exist", f"create it or {_FIX}")
    if not folder.is_dir():
        raise _os_problem(NotADirectoryError(errno.ENOTDIR, "not a folder"), target, folder)
    mode = _new_file_mode(target)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=suffix or target.suffix, dir=folder)
        os.close(fd)
    except OSError as e:
        raise _os_problem(e, target, folder) from None
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        with contextlib.suppress(OSError):  # e.g. a file system without permissions
            os.chmod(tmp_path, mode)
        os.replace(tmp_path, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            tmp_path.unlink()
        if isinstance(exc, OSError) and not isinstance(exc, PlaceBasedError):
            raise _os_problem(exc, target, folder) from None
        raise


def write_bytes(target: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``target`` atomically."""
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)
    return Path(target)


def write_text(target: str | os.PathLike, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``target`` atomically."""
    return write_bytes(target, text.encode("utf-8"))

