"""Export log (analysts only): who downloaded what from the app, when, with which settings.

Every download button records its export in the store (``placebased.io.store.Store.record_export``) through
``appauth.export_button``; this page lists them, newest first. Text is shown as data (st.dataframe).
"""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # opened on its own (e.g. AppTest): appcache lives next to app.py
    sys.path.insert(0, str(ROOT))

from appauth import gate  # noqa: E402
from appcache import store_or_warning  # noqa: E402
from placebased import access  # noqa: E402
from placebased.errors import PlaceBasedError  # noqa: E402
from placebased.outputs import glossary  # noqa: E402
from placebased.safety import escape_markdown  # noqa: E402

user = gate("exports")
access.require(user, "export_log")

st.title("Export log")
st.caption("Every download from this app (CSV, GeoJSON, PDF, HTML, ZIP, TOML, JSON): who, when (UTC), what and "
           "with which settings. The log is kept in the saved-work store; back it up with the database "
           "(docs/deploy.md).")
store = store_or_warning("The export log")
if store is not None:
    try:
        log = store.exports(limit=5000)
    except PlaceBasedError as exc:
        st.error(escape_markdown(exc))
        st.stop()
    if log.empty:
        st.info("Nothing has been exported yet.")
    else:
        shown = log.drop(columns="id").assign(settings=log["settings"].map(glossary.settings_text))  # not JSON
        st.dataframe(glossary.display_frame(shown, glossary.EXPORT_LOG_TABLE, index=False), hide_index=True,
                     width="stretch")
