"""Postcodes located offline with the shipped OS Code-Point Open table.

The shipped table (``provision/northants_postcodes_codepoint_open_2025-04.csv.gz``) holds every
current postcode unit of North and West Northamptonshire (18,316) with the British National Grid
grid reference of its centroid (1 m). Postcodes are matched on a normalised key: upper case, all
spaces removed, so ``"nn17 1tr"``, ``"NN171TR"`` and ``" NN17  1TR "`` are the same postcode.

Postcode centroids are not building locations: within a postcode unit (about 15 addresses) the
error is usually tens of metres, more in rural postcodes.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from placebased import _paths
from placebased.errors import file_error

#: a full UK postcode once spaces are removed (outward 2-4 characters, inward digit + 2 letters)
POSTCODE_RE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}$")


def normalise(values) -> pd.Series:
    """Postcode keys: upper case with every space removed (``<NA>`` for blanks).

    Parameters
    ----------
    values
        Postcodes as typed (any case and spacing).

    Returns
    -------
    pd.Series
        Keys such as ``"NN171TR"``.

    Examples
    --------
    >>> normalise(["nn17 1tr", " NN17  1TR ", "NN171TR"]).tolist()
    ['NN171TR', 'NN171TR', 'NN171TR']
    """
    s = pd.Series(values, dtype="str") if not isinstance(values, pd.Series) else values.astype("str")
    s = s.str.upper().str.replace(r"\s+", "", regex=True)
    return s.where(s.notna() & (s != "") & (s != "NAN") & (s != "NONE"))


def pretty(key: str) -> str:
    """``"NN171TR"`` -> ``"NN17 1TR"`` (outward code, a space, the inward code)."""
    return f"{key[:-3]} {key[-3:]}" if isinstance(key, str) and len(key) > 3 else key


@lru_cache(maxsize=4)
def _table(path: str) -> pd.DataFrame:
    p = Path(path)
    if not p.exists():
        raise file_error(p, "postcode table not found", "reinstall placebased or give coordinates instead of postcodes")
    raw = pd.read_csv(p, usecols=["Postcode", "Positional_quality_indicator", "Eastings", "Northings"])
    raw["key"] = normalise(raw["Postcode"])
    out = raw.dropna(subset=["key"]).drop_duplicates("key").set_index("key")
    out.index.name = "postcode_key"
    return out.rename(columns={"Positional_quality_indicator": "quality", "Eastings": "x", "Northings": "y"})


def postcode_table(path: str | os.PathLike | None = None) -> pd.DataFrame:
    """The postcode table indexed by the normalised key, columns ``Postcode, quality, x, y`` (EPSG:27700).

    ``path`` defaults to the shipped Code-Point Open extract for Northamptonshire; another extract of
    Code-Point Open (same column names) can be given. The table is read once and cached; a copy is
    returned.
    """
    return _table(str(path or _paths.POSTCODES)).copy()


def locate(postcodes, table: str | os.PathLike | None = None) -> pd.DataFrame:
    """Grid references of postcodes.

    Parameters
    ----------
    postcodes
        Postcodes as typed.
    table
        Code-Point Open extract to use (default: the shipped Northamptonshire one).

    Returns
    -------
    pd.DataFrame
        One row per input (same index), columns ``postcode`` (normalised, spaced), ``x``, ``y``
        (EPSG:27700 metres, NaN when not found), ``quality`` (Code-Point positional quality,
        10 = within the building of a matched address), ``status``: ``"found"``, ``"unknown"``
        (well formed but not in the table: terminated, new, or outside the table's area),
        ``"malformed"`` or ``"blank"``.
    """
    src = postcodes if isinstance(postcodes, pd.Series) else pd.Series(list(postcodes))
    keys = normalise(src)
    tab = _table(str(table or _paths.POSTCODES))
    hit = tab.reindex(keys.fillna("").to_numpy())
    found = hit["x"].notna().to_numpy()
    well_formed = keys.fillna("").str.match(POSTCODE_RE).to_numpy()
    status = np.where(keys.isna().to_numpy(), "blank", np.where(found, "found", np.where(well_formed, "unknown",
                                                                                          "malformed")))
    return pd.DataFrame(
        {
            "postcode": [pretty(k) if isinstance(k, str) else pd.NA for k in keys],
            "x": hit["x"].to_numpy(float),
            "y": hit["y"].to_numpy(float),
            "quality": hit["quality"].to_numpy(float),
            "status": status,
        },
        index=src.index,
    )


def postcode_points(table: str | os.PathLike | None = None) -> tuple[np.ndarray, np.ndarray]:
    """All postcode centroids of the table as two arrays ``x, y`` (EPSG:27700)."""
    tab = _table(str(table or _paths.POSTCODES))
    return tab["x"].to_numpy(float), tab["y"].to_numpy(float)
