"""Diffusion: pull a digit out of pure noise, one denoising step at a time (DDPM and DDIM, with guidance)."""

from collections.abc import Sequence

import streamlit as st

import figures.diffusion as fx
import ui.diffusion as ui
from figures.pictures import image_grid, image_strip, single_image
from figures.style import percent
from ui.compute import heavy_work
from ui.frame import go_deeper, load_or_stop, model_card, show_chart, timed, what_you_are_seeing
from ui.image_data import first_heldout_index, get_judge
from ui.page_setup import setup_page

setup_page("diffusion")
model = load_or_stop("diffusion", ui.get_diffusion)
load_or_stop("judge", get_judge)
T = model.schedule.num_train_timesteps
st.markdown(
    "A diffusion model learns one small skill: **look at a noisy picture and guess the noise in it**. "
    "Start from pure static, remove a little of the guessed noise, repeat, and a digit appears. "
    "Telling the model which digit to make is the *prompt*: a tiny cousin of text-to-image."
)

help_w = "How hard to push towards the prompt: 0 ignores it, 1 follows it, more exaggerates it (guidance scale)."
help_s = f"DDPM takes all {T} small steps; DDIM jumps, taking only a few big steps."
digit = st.segmented_control(
    "The prompt: which digit?", list(range(10)), default=ui.DIFFUSION_DEFAULT_DIGIT, key="digit", bind="query-params"
)
digit = ui.DIFFUSION_DEFAULT_DIGIT if digit is None else int(digit)
c2, c3, c4, c5 = st.columns([3, 2, 2, 3])
guidance = c2.slider("Guidance", 0.0, 6.0, model.default_guidance, 0.5, key="w", bind="query-params", help=help_w)
seed = int(
    c3.slider(
        "Seed", 0, 999, ui.DIFFUSION_DEFAULT_SEED, key="seed", bind="query-params", help="Same seed, same picture."
    )
)
sampler = c4.radio("Sampler", ["DDPM", "DDIM"], horizontal=True, key="sampler", bind="query-params", help=help_s)
steps = c5.slider(
    "DDIM steps", 2, 50, ui.DIFFUSION_DEFAULT_DDIM_STEPS, key="steps", bind="query-params", disabled=sampler == "DDPM"
)
kind, n_steps = sampler.lower(), (T if sampler == "DDPM" else steps)

st.subheader("1 · Forward: how training makes noisy pictures")


@st.fragment
def forward_view(digit: int, seed: int) -> None:
    """The noise slider reruns only this part."""
    f1, f2 = st.columns([1, 2])
    t_fwd = f1.slider(
        "Noise step t",
        0,
        T - 1,
        T // 4,
        key="t",
        bind="query-params",
        help="0 = the clean digit; the last step is almost pure static.",
    )
    strip_ts = tuple(int(round(x)) for x in [0, T * 0.1, T * 0.25, T * 0.5, T * 0.75, T - 1]) + (t_fwd,)
    noisy, signal, label = ui.diffusion_forward(first_heldout_index(digit), seed, strip_ts)
    title = f"A real {label} at t = {t_fwd}: {percent(signal[-1])} signal"
    show_chart(f1, single_image(noisy[-1], title, 300), key="fwd", width="stretch")
    t_axis, sig, noi = ui.noise_schedule()
    title = f"By t = {t_fwd}, the digit's share has faded to {percent(sig[t_fwd])}"
    show_chart(f2, fx.schedule_figure(t_axis, sig, noi, t_fwd, title), key="schedule", width="stretch")
    fig = image_strip(noisy[:-1], [f"t = {t}" for t in strip_ts[:-1]], "More and more noise", height=230)
    show_chart(st, fig, key="fwdstrip", width="stretch")


forward_view(digit, seed)

st.subheader(f"2 · Reverse: making a {digit} from static")
with heavy_work(), timed(f"{sampler} sampling of one digit ({n_steps} steps, all intermediates)"):
    run = ui.diffusion_trajectory(digit, guidance, seed, kind, n_steps)
    conf, closeness = ui.judge_along_trajectory(digit, guidance, seed, kind, n_steps)


@st.fragment
def step_view(run: ui.TimedTrajectory, conf: Sequence[float], closeness: Sequence[float]) -> None:
    """Moving through the steps reruns only this part; the trajectory is already computed."""
    traj, S = run.trajectory, len(run.trajectory.timesteps)
    k = st.slider("Step", 1, S, S // 2, key=f"k_{kind}", help="Move through the reverse process one step at a time.")
    t_k = int(traj.timesteps[k - 1])
    r1, r2 = st.columns([3, 2])
    title = f"Step {k} of {S} (t = {t_k})"
    fig = fx.reverse_step_figure(run.noisy[k - 1], run.noise_guesses[k - 1], run.clean_guesses[k - 1], title)
    show_chart(r1, fig, key="revstep", width="stretch")
    first = next((int(traj.timesteps[i]) for i in range(S) if conf[i] >= 0.5), None)
    title = f"The guess reads as a {digit}<br>from t = {first} on" if first is not None else "The judge never agrees"
    show_chart(
        r2, fx.confidence_curve(traj.timesteps, conf, t_k, title, closeness=closeness), key="conf", width="stretch"
    )
    st.caption(
        f"Left to right: the noisy image at this step; the noise the model thinks is in it (grey = none, "
        f"light/dark = positive/negative); the clean image that guess implies (wild at first, when the model "
        f"sees only static). Final image judged as a "
        f"**{run.judged}** ({percent(run.confidence)} sure). {sampler} took **{run.seconds * 1000:.0f} ms** "
        f"for all {S} steps, measured when first computed."
    )


step_view(run, conf, closeness)
show_chart(st, ui.trajectory_animation_figure(digit, guidance, seed, kind, n_steps), key="anim", width="stretch")

st.subheader("3 · Full DDPM against few-step DDIM")
with heavy_work(), timed(f"16 {digit}s with DDPM and with DDIM ({steps} steps)"):
    full = ui.diffusion_batch(digit, guidance, seed, "ddpm", T)
    fast = ui.diffusion_batch(digit, guidance, seed, "ddim", steps)
g1, g2, g3 = st.columns([2, 2, 2])
title = f"DDPM, {T} steps:<br>{full.judged} of 16 judged {digit}"
show_chart(g1, image_grid(full.samples, title, cols=4, height=330), key="gfull", width="stretch")
title = f"DDIM, {steps} steps:<br>{fast.judged} of 16 judged {digit}"
show_chart(g2, image_grid(fast.samples, title, cols=4, height=330), key="gfast", width="stretch")
title = f"DDIM was {full.seconds / max(fast.seconds, 1e-6):.0f}× faster"
fig = fx.timing_bars([f"DDPM ({T} steps)", f"DDIM ({steps} steps)"], [full.seconds, fast.seconds], title, 300)
show_chart(g3, fig, key="timing", width="stretch")
g3.caption("Times are for 16 digits at once on this server, measured when first computed for these settings.")

what_you_are_seeing(
    "Top: training takes real digits and buries them in noise by a known amount. Middle: the model runs that "
    "backwards. At every step it guesses the noise (middle panel), which implies a guess of the clean digit "
    "(right panel); early guesses are blurry averages, later ones sharpen. Bottom: DDIM reaches similar digits "
    "in far fewer steps by jumping along the same path."
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

**Not shown:** the network's inner layers (a small MLP with time and label embeddings), and that real image models
denoise in a compressed latent space with a U-Net and text embeddings instead of a digit label.
""")
model_card("diffusion", "judge")
