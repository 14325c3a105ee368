"""Models and the computations that open them up. No streamlit, no plotly here."""
