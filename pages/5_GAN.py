"""GAN: a forger and a detective trained against each other, live on 2-D points, replayed or live on pictures."""

import streamlit as st

from ui.frame import go_deeper, load_or_stop, model_card, what_you_are_seeing
from ui.page_setup import setup_page

setup_page("gan")

from ui import gan
from ui.image_data import get_judge

mode = st.radio(
    "What should the GAN learn to forge?",
    ["Points", "Pictures"],
    key="mode",
    bind="query-params",
    horizontal=True,
    captions=["2-D points: see everything", "clothes or handwritten digits"],
    help="Points: every real point, every fake and the detective's view fit on one picture. "
    "Pictures: the same game on real photos of clothes (28×28) or handwritten digits (8×8).",
)

if mode == "Points":
    c = st.columns([1.4, 1, 1, 1.1, 1.8])  # the loss list needs room for "non-saturating" at 1280 px
    shape = c[0].selectbox(
        "Real data to copy",
        list(gan.SHAPE_BY_LABEL),
        key="shape",
        bind="query-params",
        help="Changing it starts a new run.",
    )
    lr_g = c[1].select_slider(
        "Forger's learning rate",
        gan.LEARNING_RATES,
        value="0.001",
        key="lr_g",
        bind="query-params",
        help="How big a step the forger (generator) takes each update.",
    )
    lr_d = c[2].select_slider(
        "Detective's learning rate",
        gan.LEARNING_RATES,
        value="0.001",
        key="lr_d",
        bind="query-params",
        help="How big a step the detective (discriminator) takes.",
    )
    speed = c[3].select_slider(
        "Speed",
        list(gan.SPEEDS),
        value="normal",
        key="speed",
        bind="query-params",
        help="Training steps between pictures: slow motion = 1 (two pictures a second), normal = 20, "
        "fast = as many as fit in a twentieth of a second.",
    )
    loss = c[4].selectbox(
        "Forger's loss",
        list(gan.LOSS_BY_LABEL),
        key="loss",
        bind="query-params",
        help="Non-saturating is what everyone uses; minimax is the original formula. See 'Go deeper' below.",
    )
    run = gan.points_run(gan.SHAPE_BY_LABEL[shape], float(lr_g), float(lr_d), gan.LOSS_BY_LABEL[loss])
    gan.transport_buttons("points", run.finished)
    gan.live_points(speed)
    what_you_are_seeing(
        "Blue dots are real data; orange diamonds are the forger's fakes, made from random noise. The background is "
        "the detective's opinion of every spot: blue means 'looks real', orange means 'looks fake'. Each black tick "
        "shows where the forger will push that fake next: toward places the detective calls real. With the default "
        "settings the game ends in a stalemate: the fakes cover all eight clouds and, where the data is, the "
        "background turns white (50/50). Far from any data it can stay orange: nothing real ever appears there, so "
        "calling it fake costs the detective nothing. Raise the forger's learning rate to 0.01 and lower the "
        "detective's to 0.0001 to see a collapse: every fake in one clump."
    )
    data = None
else:
    c = st.columns([1.2, 1])
    view = c[0].radio(
        "Whose training?",
        [gan.REPLAY, gan.LIVE],
        key="view",
        bind="query-params",
        horizontal=True,
        help="Replay: the run we trained and ship, step by step. Train one yourself: a fresh forger, live, capped.",
    )
    with c[1]:
        data = gan.choose_pictures(view)
    load_or_stop(data.model("judge"), lambda: get_judge(data.key))
    gan.crisp_pictures()
    if view == gan.REPLAY:
        shipped = load_or_stop(data.model("gan"), lambda: gan.load_gan(data.key))
        gan.replay(shipped, data, gan.step_slider(shipped, data))
        gan.finished_note(shipped, data)
    else:
        run = gan.pictures_run(data)
        gan.transport_buttons(gan.RUN_KIND[data.key], run.finished)
        gan.live_pictures(data)
    what_you_are_seeing(gan.pictures_seeing(data))

go_deeper(gan.GO_DEEPER)
if data is None:
    st.caption(gan.points_model_note())
model_card(data.model("gan") if data is not None else "fashion_gan")
