"""Classroom content as data: guided lessons, predict-then-see questions and the glossary (content/*.toml).

Pure loaders and checks, with no Streamlit, Plotly or model code: ui/classroom.py draws them on the pages.
"""
