"""Pure figure builders: plain data in, plotly go.Figure out. No streamlit here."""
