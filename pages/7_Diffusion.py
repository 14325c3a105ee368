"""Diffusion: pull a picture out of pure noise, one denoising step at a time (DDPM and DDIM, with guidance)."""

import streamlit as st

import figures.diffusion as fx
import ui.diffusion as ui
from figures.pictures import image_grid, single_image
from figures.style import percent
from ui.compute import heavy_work
from ui.frame import gif_button, go_deeper, load_or_stop, model_card, show_chart, what_you_are_seeing
from ui.image_data import choose_dataset, get_judge, picture_row, with_article
from ui.page_setup import setup_page
from ui.step_player import step_player

setup_page("diffusion")
data = choose_dataset("Clothes: 28×28 photos of 10 kinds (Fashion-MNIST). Digits: 8×8 handwritten digits.")
key, names = data.key, data.class_names
model = load_or_stop(data.model("diffusion"), lambda: ui.get_diffusion(key))
load_or_stop(data.model("judge"), lambda: get_judge(key))
T = model.schedule.num_train_timesteps
NO_TOOLS = {"width": "stretch", "config": {"displayModeBar": False}}  # no zoom tools over the titles on a phone
st.markdown(
    "A diffusion model learns one small skill: **look at a noisy picture and guess the noise in it**. "
    f"Start from pure static, remove a little of the guessed noise, repeat, and {with_article(data.item)} appears. "
    f"Telling the model which kind of {data.item} to make is the *prompt*: a tiny cousin of text-to-image."
)

help_w = "How hard to push towards the prompt: 0 ignores it, 1 follows it, more exaggerates it (guidance scale)."
help_s = f"DDPM takes all {T} small steps; DDIM jumps, taking only a few big steps."
kind = st.segmented_control(
    "The prompt: which kind?",
    range(data.num_classes),
    format_func=lambda k: names[k],
    default=ui.DEFAULT_KINDS[key],
    key="kind",
    bind="query-params",
)
kind = ui.DEFAULT_KINDS[key] if kind is None else int(kind)
c2, c3, c4, c5 = st.columns([3, 2, 2, 3])
guidance = c2.slider("Guidance", 0.0, 6.0, model.default_guidance, 0.5, key="w", bind="query-params", help=help_w)
seed = int(c3.slider("Seed", 0, 999, 0, key="seed", bind="query-params", help="Same seed, same picture."))
sampler = c4.radio("Sampler", ["DDIM", "DDPM"], horizontal=True, key="sampler", bind="query-params", help=help_s)
steps = c5.slider(
    "DDIM steps", 2, 50, ui.DIFFUSION_DEFAULT_DDIM_STEPS, key="steps", bind="query-params", disabled=sampler == "DDPM"
)
mode, n_steps = sampler.lower(), (T if sampler == "DDPM" else steps)
prompt = with_article(names[kind])

st.subheader("1 · Forward: how training makes noisy pictures")


@st.fragment
def forward_view(kind: int, seed: int) -> None:
    """The noise slider reruns only this part."""
    f1, f2 = st.columns([2, 3])
    help_t = "0 = the clean picture; the last step is almost pure static."
    t_fwd = f1.slider("Noise step t", 0, T - 1, T // 4, key="t", bind="query-params", help=help_t)
    strip_ts = tuple(int(round(x)) for x in [0, T * 0.1, T * 0.25, T * 0.5, T * 0.75, T - 1]) + (t_fwd,)
    noisy, signal, label = ui.diffusion_forward(key, kind, seed, strip_ts)
    title = f"{with_article(names[label], 'real').capitalize()} at t = {t_fwd}:<br>{percent(signal[-1])} signal"
    show_chart(f1, single_image(noisy[-1], title, 340), key="fwd", **NO_TOOLS)
    t_axis, sig, noi = ui.noise_schedule(key)
    title = f"By t = {t_fwd}, the picture's share<br>has faded to {percent(sig[t_fwd])}"
    show_chart(f2, fx.schedule_figure(t_axis, sig, noi, t_fwd, title), key="schedule", **NO_TOOLS)
    picture_row(noisy[:-1], [f"t = {t}" for t in strip_ts[:-1]], "More and more noise, step by step")


forward_view(kind, seed)

ignored = guidance == 0
heading = "from static to a picture (guidance 0 ignores the prompt)" if ignored else f"making {prompt} from static"
st.subheader(f"2 · Reverse: {heading}")
with heavy_work():
    run = ui.recorded_run(key, kind, guidance, seed, mode, n_steps)
step_player(ui.step_player_view(run, kind, guidance, names), key="player")
gif_button(st, lambda: ui.run_gif(run), ui.gif_name(names[kind], seed, mode, n_steps), "player")
st.markdown(ui.run_explanation(run, names))

st.subheader("3 · Many at once, and the price of steps")
n_grid = ui.GRID_PICTURES[key]
with heavy_work():
    fast = ui.diffusion_batch(key, kind, guidance, seed, "ddim", steps, n_grid)
g1, g2 = st.columns([3, 2])
title = f"DDIM, {steps} steps:<br>{fast.judged} of {n_grid} read as {prompt}"
show_chart(g1, image_grid(fast.samples, title, cols=4, height=70 + 122 * (n_grid // 4)), key="gfast", **NO_TOOLS)
n_full = ui.DDPM_PICTURES
compare = g2.toggle(
    "Compare with full DDPM",
    key="ddpm",
    bind="query-params",
    help=f"Runs all {T} DDPM steps on the first {n_full} starting points: about {T // steps}× the work of DDIM.",
)
if compare:
    with heavy_work():
        full = ui.diffusion_batch(key, kind, guidance, seed, "ddpm", T, n_full)
    title = f"DDPM, {T} steps:<br>{full.judged} of {n_full} read as {prompt}"
    show_chart(g2, image_grid(full.samples, title, cols=2, height=330), key="gfull", **NO_TOOLS)
    per = [full.seconds / n_full, fast.seconds / n_grid]
    title = f"Time per picture:<br>DDIM was {per[0] / max(per[1], 1e-6):.0f}× faster"
    fig = fx.timing_bars([f"DDPM ({T} steps)", f"DDIM ({steps} steps)"], per, title)
    show_chart(g2, fig, key="timing", **NO_TOOLS)
    g2.caption("Measured on this server when these settings were first computed (the first four start alike).")
else:
    g2.caption(f"DDIM reaches pictures like these in {steps} steps. Switch on the full DDPM to compare the two.")

what_you_are_seeing(
    "Section 1: training takes real pictures and buries them in noise by a known amount. Section 2: the model "
    "runs that backwards. At every step it guesses the noise (middle panel), which implies a guess of the clean "
    "picture (right panel); after a stark black-and-white first guess, early guesses are blurry averages and "
    "later ones sharpen. Section 3: DDIM reaches similar pictures in far fewer steps by jumping along the same path."
)
go_deeper(r"""
**Forward process** (Ho et al. 2020, *DDPM*, eq. 4): $x_t=\sqrt{\bar\alpha_t}\,x_0+\sqrt{1-\bar\alpha_t}\,\varepsilon$,
$\varepsilon\sim\mathcal N(0,I)$, with a cosine schedule for $\bar\alpha_t$ (Nichol & Dhariwal 2021) over $T$ steps.

**Training**: the network $\varepsilon_\theta(x_t,t,c)$ minimises $\lVert\varepsilon-\varepsilon_\theta(x_t,t,c)\rVert^2$
(DDPM's $L_\text{simple}$). Predicted clean image: $\hat x_0=(x_t-\sqrt{1-\bar\alpha_t}\,\hat\varepsilon)/\sqrt{\bar\alpha_t}$.

**DDPM step** (eqs. 6-7): $x_{t-1}\sim\mathcal N(\tilde\mu_t(x_t,\hat x_0),\tilde\beta_t I)$, a fresh bit of noise each step.
**DDIM step** (Song et al. 2021, eq. 12, $\eta=0$): $x_{t'}=\sqrt{\bar\alpha_{t'}}\,\hat x_0+\sqrt{1-\bar\alpha_{t'}}\,\hat\varepsilon$,
deterministic, so it can jump from $t$ to a much earlier $t'$.

**Classifier-free guidance** (Ho & Salimans 2022): the label is dropped 15% of the time in training, so one network
gives both $\varepsilon(x_t,c)$ and $\varepsilon(x_t,\varnothing)$; we use
$\hat\varepsilon=\varepsilon(x_t,\varnothing)+w\,(\varepsilon(x_t,c)-\varepsilon(x_t,\varnothing))$.

**The networks:** for clothes a small U-Net (convolutions at 28, 14 and 7 pixels, with the step and the kind
mixed into every block); for digits a small MLP with step and label embeddings. Real image models denoise in a
compressed latent space with a far larger U-Net or transformer, steered by text embeddings instead of a label.
""")
model_card(data.model("diffusion"), data.model("judge"))
