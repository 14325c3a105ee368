"""A tiny app for tests/test_visitor_server.py: which visitor a session is, and a page run that takes a while."""

import time

import streamlit as st

from ui.visitors import take_turn, visitor_id

take_turn()
hold = st.number_input("Hold the run (seconds)", 0.0, 10.0, 0.0, key="hold")
st.markdown(f"visitor={visitor_id()}")
if hold:
    time.sleep(hold)  # sleeping, like a run waiting for its heavy work
st.markdown(f"finished={time.monotonic():.6f}")
