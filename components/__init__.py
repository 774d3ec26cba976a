"""Streamlit custom components of the app (no build step, nothing fetched from another host)."""
