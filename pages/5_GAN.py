"""GAN: a forger and a detective trained against each other, live on 2-D points or replayed on digits."""

import streamlit as st

from figures.style import percent
from ui.frame import go_deeper, load_or_stop, model_card, what_you_are_seeing
from ui.page_setup import setup_page

setup_page("gan")

from ui import gan
from ui.image_data import get_judge

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
    load_or_stop("judge", get_judge)
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
        gan.replay_digits(shipped, steps.index(step))
        m = shipped.config["metrics"]
        st.markdown(
            f"**The finished forger, measured on 1,000 fresh fakes:** rarest digit "
            f"{m['rarest_class']} at {percent(m['min_class_share'])} (bar: at least 4%); Fréchet distance to held-out "
            f"real digits {m['frechet_to_heldout']:.1f} (real against real: {m['frechet_real_vs_real']:.1f})."
        )
    else:
        run = gan.digits_run()
        gan.transport_buttons("digits", run.finished)
        gan.live_digits()
    what_you_are_seeing(
        "Each square is a fake digit painted by the forger from 32 random numbers; the noise stays fixed, so you see "
        "the same fakes change as the forger learns. A separate digit-reading model (the judge) reads each fake; "
        "the bar chart counts what it saw. Flat bars mean every digit gets made. Tall bars and missing digits "
        "mean mode collapse: the forger found a few easy wins and stopped making the rest."
    )

GO_DEEPER = r"""
**The game.** The detective $D$ outputs the probability that a sample is real. The forger $G$ turns noise
$z \sim \mathcal{N}(0, I)$ into samples. Goodfellow et al. (2014, *Generative Adversarial Nets*, eq. 1) pose a minimax game:

$$\min_G \max_D \; V(D, G) = \mathbb{E}_{x \sim p_\text{data}}[\log D(x)] + \mathbb{E}_{z}[\log(1 - D(G(z)))]$$

For a fixed forger the best detective is $D^*(x) = \frac{p_\text{data}(x)}{p_\text{data}(x) + p_G(x)}$, and then the
game measures the Jensen–Shannon divergence between real and fake: $V = -\log 4 + 2\,\mathrm{JSD}(p_\text{data}\,\|\,p_G)$.
At the optimum $p_G = p_\text{data}$, $D = \tfrac12$ everywhere and the detective's loss is $2\ln 2 \approx 1.39$: the
dashed line on the loss chart.

**Non-saturating loss.** Early on the detective wins easily, $D(G(z)) \approx 0$, and $\log(1 - D(G(z)))$ is flat
there, so the forger learns almost nothing. In practice the forger minimises $-\log D(G(z))$ instead: same fixed
point, strong gradients when it is losing. Switch "Forger's loss" to *minimax* on the points view to compare.

**Training.** Alternate one Adam step on $D$ (with $G$ frozen) and one on $G$ (gradients flow *through* the frozen
$D$); $\beta_1 = 0.5$ as in DCGAN (Radford et al. 2016). The black ticks on the points view are exactly
$-\nabla_{x} \mathcal{L}_G$ at each fake: where the detective's surface tells the forger to move.

**Mode collapse.** Nothing in the loss asks the forger to cover *every* mode; it only has to fool the current
detective. So it can park on a few digits or blobs. Our digits detective also sees the batch's spread
(*minibatch standard deviation*, Karras et al. 2018), which makes a low-variety batch easy to catch.

**What this does not show.** Real image GANs (StyleGAN) use deep convolutional nets, many tricks for stability,
and millions of images. Our networks are small MLPs; the Fréchet distance here uses the judge's features, not
Inception's, so its numbers are not comparable with published FID.
"""
go_deeper(GO_DEEPER)
if mode == "Points":
    st.caption(gan.points_model_note())
model_card("gan_digits")
