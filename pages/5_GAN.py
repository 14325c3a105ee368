import streamlit as st

from ui.frame import go_deeper, load_or_stop, model_card, setup_page, what_you_are_seeing

setup_page("gan")

from ui import gan

mode = st.radio(
    "What should the GAN learn to forge?",
    ["Points", "Digits"],
    key="mode",
    bind="query-params",
    horizontal=True,
    captions=["2-D points: see everything", "8×8 handwritten digits"],
    help="Points: every real point, every fake and the detective's view fit on one picture. "
    "Digits: the same game on real handwriting.",
)

if mode == "Points":
    c = st.columns([2, 1, 1, 1.3, 1.3])
    dataset = c[0].selectbox(
        "Real data to copy",
        list(gan.DATASET_BY_LABEL),
        key="data",
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
    run = gan.points_run(gan.DATASET_BY_LABEL[dataset], float(lr_g), float(lr_d), gan.LOSS_BY_LABEL[loss])
    gan.transport_buttons("points", run.finished)
    gan.live_points(speed)
    what_you_are_seeing(
        "Blue dots are real data; orange diamonds are the forger's fakes, made from random noise. The background is "
        "the detective's opinion of every spot: blue means 'looks real', orange means 'looks fake'. Each black tick "
        "shows where the forger will push that fake next: toward places the detective calls real. Training ends "
        "in a stalemate: fakes sit on the real data and the background fades to white, 50/50."
    )
else:
    view = st.radio(
        "Digits",
        ["Replay our training", "Train one yourself"],
        key="digits",
        bind="query-params",
        horizontal=True,
        label_visibility="collapsed",
    )
    judge = load_or_stop("judge", gan.load_gan_judge)
    if view == "Replay our training":
        shipped = load_or_stop("gan_digits", gan.load_digits_gan)
        steps = [int(s) for s in shipped.snapshot_steps]
        step = st.select_slider(
            "Training step of our run",
            steps,
            value=steps[-1],
            key="snap",
            bind="query-params",
            help="Snapshots saved while we trained the shipped GAN, from noise to digits.",
        )
        gan.replay_digits(shipped, judge, steps.index(step))
        m = shipped.config["metrics"]
        st.markdown(
            f"**The finished forger, measured on 1,000 fresh fakes:** rarest digit "
            f"{m['rarest_class']} at {m['min_class_share']:.1%} (bar: at least 4%); Fréchet distance to held-out "
            f"real digits {m['frechet_to_heldout']:.1f} (real against real: {m['frechet_real_vs_real']:.1f})."
        )
    else:
        run = gan.digits_run()
        gan.transport_buttons("digits", run.finished)
        gan.live_digits(judge)
    what_you_are_seeing(
        "Each square is a fake digit painted by the forger from 32 random numbers; the noise stays fixed, so you see "
        "the same fakes change as the forger learns. A separate digit-reading model (the judge) reads each fake; "
        "the bar chart counts what it saw. Flat bars mean every digit gets made. Tall bars and missing digits "
        "mean mode collapse: the forger found a few easy wins and stopped making the rest."
    )

go_deeper(gan.GO_DEEPER)
if mode == "Points":
    st.caption(gan.points_model_note())
model_card("gan_digits")
