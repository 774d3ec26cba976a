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

st.set_page_config(page_title="placebased — priority neighbourhoods", page_icon="📍", layout="wide")
page = st.navigation([
    st.Page(ROOT / "views" / "priority.py", title="Priority neighbourhoods", default=True),
    st.Page(ROOT / "views" / "workshop.py", title="Workshop", url_path="workshop"),
    st.Page(ROOT / "views" / "needs.py", title="Needs assessment", url_path="needs"),
    st.Page(ROOT / "views" / "evaluate.py", title="Evaluate", url_path="evaluate"),
])
page.run()
