"""Landing page: what generative AI is, in plain words, and the tour laid out as cards."""

import streamlit as st

from ui import classroom, warmup
from ui.frame import preload_chart_library
from ui.page_setup import setup_page
from ui.tour import GROUPS, live_pages

setup_page("home")

st.title("🔍 Glassbox: how generative AI works")
st.markdown("#### Tiny, real AI models running live on this server, opened up so you can see every number they use.")
classroom.home_tools()

intro, picture = st.columns([3, 2], gap="large")
with intro:
    st.markdown(
        """
**Most computer programs follow rules a person wrote.** A *generative* model is different:
nobody writes its rules. It learns them from examples, and then it **creates** something new —
a sentence, a picture — instead of just **sorting** things into boxes.

- **Classifying** answers a question about something that exists: *"Is this a cat or a dog?"*
- **Generating** makes something that did not exist: *"Write a story about a cat."*

**How does it learn?** We show it many examples — stories, pictures of clothes — and it adjusts
thousands of internal numbers, a little at a time, until it is good at guessing what real examples
look like. Those numbers are the *model*. Nothing else is stored: no copy of a rule book.

**How does it create?** The tour shows the three main ideas, side by side →
"""
    )
with picture:
    with st.container(border=True):
        st.markdown(
            """
**✍️ One piece at a time.** A language model writes text word by word. At each step it gives
every possible next word a chance, picks one, adds it, and repeats. Chatbots work this way.

**🌫️ Refining noise.** An image model starts from random static and cleans it up a little
at a time until a picture appears. Most AI image tools work this way.

**🥊 Forger and detective.** Another way: one network makes fakes, another tries to catch them,
and both improve by competing.
"""
        )

st.markdown(
    "Every model here is **small enough to run instantly** on a cheap server, and was trained by us "
    "from data you can inspect. The ideas are the same ones inside the giant models; only the size differs."
)

st.header("Guided lessons")
st.caption(
    "A few pages in order, each step set up for you, with one or two sentences to read and a question to predict "
    "before the page shows the answer. Use Back and Next, or the arrow keys (a presentation clicker works too)."
)
lessons = classroom.lessons()
for index, lesson in enumerate(lessons):
    if index % 2 == 0:  # a row per pair, so on a phone (columns stacked) the lessons still come in their order
        columns = st.columns(2)
    with columns[index % 2].container(border=True, height="stretch"):
        st.markdown(f"**{lesson.icon} {lesson.title}**")
        st.markdown(lesson.summary)
        st.page_link(
            classroom.page(lesson.steps[0].page).path,
            label=f"Start the lesson ({len(lesson.steps)} steps)",
            icon="▶️",
            query_params=classroom.step_params(lesson, 0),
        )
        st.caption(" → ".join(dict.fromkeys(classroom.page(s.page).title for s in lesson.steps)))

st.header("The tour")
st.caption("Start anywhere. Each page has a plain-words explanation, a “Go deeper” section, and a model card.")

pages = live_pages()
for group in GROUPS:
    members = [p for p in pages if p.group == group]
    if not members:
        continue
    st.subheader(group)
    per_row = min(len(members), 4)
    for index, entry in enumerate(members):
        if index % per_row == 0:  # a row per group of cards, so on a phone (columns stacked) they keep the tour order
            columns = st.columns(per_row)
        with columns[index % per_row].container(border=True, height="stretch"):
            st.page_link(entry.path, label=f"**{entry.title}**", icon=entry.icon)
            st.markdown(entry.promise)

st.divider()
st.caption(
    "Glassbox is open source. It runs entirely on this server: no tracking, no outside fonts or scripts, "
    "and nothing you type is stored."
)

preload_chart_library()  # the browser fetches the chart code now, not on the first model page
warmup.start_once()  # after the page is drawn: load the models for the next click
