"""placebased — the Streamlit app's entry point: ``streamlit run app.py``.

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

st.set_page_config(page_title="placebased — priority neighbourhoods", page_icon="📍", layout="wide")
# How the app is served, sign-in and the role (docs/deploy.md); only the pages the role may see are listed,
# and each page checks again at its top (direct URL access).
user = app_gate()
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
