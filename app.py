"""placebased — the Streamlit app's entry point: ``streamlit run app.py``.

``streamlit run app.py -- --config area.toml`` starts it on the data of an area configuration file
(``placebased/config.py``; example ``docs/example-area.toml``) without uploads.

Two pages: the priority map for place-based leads and analysts (``views/priority.py``) and the
calm workshop view for community sessions (``views/workshop.py``). Both are thin: widgets fill
frozen settings, cached wrappers in ``appcache.py`` call ``placebased``.
"""

import sys
from pathlib import Path

import streamlit as st
from streamlit import net_util

# No outside connections: Streamlit's websocket origin check asks checkip.amazonaws.com for the machine's
# external IP when a page from another origin connects; "" means "known, none". tests/test_server_offline.py
net_util._external_ip = ""

ROOT = Path(__file__).resolve().parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from appauth import allowed_pages, app_gate  # noqa: E402 - after the sys.path line
from placebased.config import from_argv  # noqa: E402
from placebased.errors import PlaceBasedError  # noqa: E402
from placebased.safety import escape_markdown  # noqa: E402

st.set_page_config(page_title="placebased — priority neighbourhoods", page_icon="📍", layout="wide")
# How the app is served, sign-in and the role (docs/deploy.md); only the pages the role may see are listed,
# and each page checks again at its top (direct URL access).
user = app_gate()
try:  # `streamlit run app.py -- --config area.toml`: the pages start on that file's data (uploads replace it)
    area_config = from_argv(sys.argv[1:])
    if area_config is not None:
        area_config.check_for_app()
except PlaceBasedError as exc:
    st.error(escape_markdown(str(exc)), icon="⚠️")
    st.stop()
st.session_state["area_config"] = area_config
PAGES = {  # key -> (file, title, url path)
    "priority": ("priority.py", "Priority neighbourhoods", "priority"),
    "workshop": ("workshop.py", "Workshop", "workshop"),
    "needs": ("needs.py", "Needs assessment", "needs"),
    "evaluate": ("evaluate.py", "Evaluate", "evaluate"),
    "exports": ("exports.py", "Export log", "exports"),
}
keys = allowed_pages(user)
page = st.navigation([st.Page(ROOT / "views" / PAGES[k][0], title=PAGES[k][1], url_path=PAGES[k][2],
                              default=(i == 0)) for i, k in enumerate(keys)])
page.run()
