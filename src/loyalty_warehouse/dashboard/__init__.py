"""The loyalty dashboard: a Streamlit page over the served marts (read-only)."""
