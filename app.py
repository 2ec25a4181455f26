"""The server's entry point: `streamlit run app.py` serves `main.py`, warmed first.

`st.App` runs the app's script (`main.py`, then the page the URL names) exactly as
`streamlit run main.py` would; its lifespan (`ui.warmup.warm_server`) imports the app and
runs it once before the server answers, so the first visitor of a new server does not pay
for that.
"""

from __future__ import annotations

import streamlit as st

from ui.warmup import warm_server

app = st.App("main.py", lifespan=warm_server)
