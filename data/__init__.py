"""Database layer: the only package that knows SQL. Never imports Streamlit."""
