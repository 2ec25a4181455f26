"""Pure computation of the glossary's figures with Polars. Never imports Streamlit."""
