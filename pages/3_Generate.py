import streamlit as st

from explainers import lm as lmx
from figures import lm as figs
from ui import classroom
from ui import lm as story
from ui.compute import heavy_work
from ui.frame import go_deeper, load_or_stop, model_card, presenting, show_chart, timed, what_you_are_seeing
from ui.page_setup import setup_page
from ui.presenter import secondary

setup_page("generate")
lm = load_or_stop("gpt", story.load_gpt)
picks = story.parse_picks(st.query_params.get("picks", ""), vocab_size=lm.vocab_size)  # {step: token} the visitor chose
story.settle_slider()  # before the "written" slider exists: a story that ended early moved it back

prompt = story.prompt_box("gen_prompt", story.STORY_OPENING, label="Start of the story", height=90)
c1, c2, c3, c4 = st.columns([1.3, 1, 1, 1])
mode = c1.radio(
    "How to choose",
    ["Roll the dice (sampled)", "Always the favourite (greedy)"],
    key="pick",
    bind="query-params",
    help="Greedy always takes the most likely token. Sampled draws one at random, in proportion to the odds.",
)
greedy = mode.startswith("Always")
# A float box shown as a whole number: Streamlit 1.67's integer number_input crashes on a URL value
# such as ?dice=1e309 before the page can check it, while the float one falls back to the default.
seed = int(
    c2.number_input(
        "Dice seed",
        0.0,
        99_999.0,
        7.0,
        1.0,
        format="%.0f",
        key="dice",
        bind="query-params",
        disabled=greedy,
        help="Greedy rolls no dice, so the seed does nothing until you choose 'Roll the dice'."
        if greedy
        else "The same seed gives the same dice rolls, so the same text. Change it for other text.",
    )
)
temperature = c3.slider(
    "Creativity (temperature)",
    0.1,
    2.0,
    1.0,
    0.1,
    key="gtemp",
    bind="query-params",
    disabled=greedy,
    help="Below 1: safer choices. Above 1: wilder ones. Greedy ignores it: it always takes the favourite.",
)
n = c4.slider("Tokens per 'generate'", 1, 50, 20, 1, key="n", bind="query-params")
steps = secondary("written").slider(  # no default value: it starts at 0, and the buttons' callbacks set it
    "Tokens written so far",  # hidden in presenter mode: the buttons below write the story
    0,
    lmx.MAX_GENERATE_STEPS,
    step=1,
    key="written",
    bind="query-params",
    help=f"At most {lmx.MAX_GENERATE_STEPS} tokens per story here, so one visitor cannot hog the server.",
)
with heavy_work(), timed(f"generation of {steps} tokens"):
    gen = story.generation(
        prompt,
        steps,
        seed,
        0.0 if greedy else temperature,
        0,
        1.0,
        tuple(sorted((k, v) for k, v in picks.items() if k < steps)),
    )
if len(gen.steps) < steps:  # the story ended (or ran out of room) before the count: the slider must say so
    story.end_at(len(gen.steps))

b1, b2, b3 = st.columns(3)  # drawn after the story is known, so they can say when there is nothing more to write
b1.button("➡️ Next token", on_click=story.add_steps, args=(1,), width="stretch", type="primary", disabled=gen.finished)
b2.button(f"⏩ Generate {n}", on_click=story.add_steps, args=(n,), width="stretch", disabled=gen.finished)
b3.button("↩️ Reset", on_click=story.reset, width="stretch")

labels = [lmx.label(lm, s.token) for s in gen.steps]
secondary("story_label").markdown("**The story so far** (your start, then the model's tokens):")
st.code(prompt + lmx.decode(lm, gen.token_ids), language=None, wrap_lines=True)
model_ended = bool(gen.finished and gen.steps and gen.steps[-1].token == lm.eot)
if not lmx.in_story_world(prompt):
    st.warning(story.outside_story_world(len(gen.steps), model_ended), icon="🧭")
    st.button(f"📖 Start with '{story.STORY_OPENING}'", on_click=story.story_opening)
elif model_ended:
    st.caption("The model chose ⟨end of story⟩: it thinks the story is over. Reset, or pick another token below.")
elif gen.finished:
    st.caption(f"The story filled all the room the model has ({lm.max_tokens} tokens, your start included).")

if gen.steps:
    at = len(gen.steps) - 1  # a slider needs two or more steps to choose from
    above = st.container() if presenting() else st  # on a projector the chart comes first, on the first screen
    if len(gen.steps) > 1:
        at = st.slider("Look at step", 1, len(gen.steps), len(gen.steps), key="at_slider") - 1
    show_chart(
        above,
        figs.timeline(
            labels, [s.prob for s in gen.steps], [s.rank for s in gen.steps], [s.forced for s in gen.steps], at, greedy
        ),
        key="timeline",
        width="stretch",
        config={"displayModeBar": False},
    )
    step = gen.steps[at]
    alt_labels = [lmx.label(lm, t) for t in step.alternatives]
    chosen = [int(t) for t in step.alternatives].index(step.token)  # the picked token is always listed
    left, right = st.columns([3, 2])
    show_chart(
        left,
        figs.alternatives_bars(alt_labels, list(step.alt_probs), chosen, at),
        key="alts",
        width="stretch",
        config={"displayModeBar": False},
    )
    others = [(i, lab) for i, lab in enumerate(alt_labels) if int(step.alternatives[i]) != step.token]
    with right:
        st.markdown(f"**What if step {at + 1} had gone differently?**")
        pick = st.radio("Pick another token", [lab for _, lab in others], key=f"alt_{at}", horizontal=True)
        if st.button("🔀 Continue from this choice", width="stretch"):
            token = int(step.alternatives[next(i for i, lab in others if lab == pick)])
            story.set_picks({k: v for k, v in picks.items() if k < at} | {at: token})
            st.rerun()
        if picks:
            st.caption("✋ marks tokens you picked. Reset clears them.")
    with st.expander("Every step as a table: probability, rank and the other candidates"):
        table = story.steps_table(lm, gen)
        st.dataframe(table, hide_index=True, width="stretch")

seeing = (
    "The model writes **one token at a time**: it computes the odds for the next token, one is chosen, it is "
    "added to the text, and the whole thing repeats. Each chip shows how likely the chosen token was (darker = "
    "more likely; in greedy mode these are the model's own odds, and it simply takes the largest). An orange "
    "outline marks a token that was not the model's favourite. With dice, the same seed always gives the same "
    "story; another seed gives another. Pick a different token at any step to see the story branch."
)
what_you_are_seeing(classroom.glossary_links(seeing))  # a word's first appearance links to its Glossary entry
go_deeper(
    r"""
**Autoregressive generation.** $x_{t+1} \sim p_\theta(\cdot \mid x_{\le t})$, then append and repeat.
Greedy takes $\arg\max$; sampling draws from the softmax with temperature $T$. Here each step draws one uniform
number $u$ from a seeded generator and picks the first token whose cumulative probability passes $u$, so the text
is a pure function of (prompt, seed, settings, your picks). That is why a shared link reproduces it exactly.

**Rank** is the token's place in the model's ranking at that step (1 = favourite). A sampled story often contains
rank 2 or 3 tokens: that is where variety comes from. Greedy text is repetitive because it never takes them.

**Not shown.** Each step reruns the full forward pass over the text so far (no key/value cache), capped at
"""
    + f"{lmx.MAX_GENERATE_STEPS} tokens."
)
model_card("gpt")
