"""Streamlit-side helpers shared by every page: the page frame, tour registry, cached model loaders."""
