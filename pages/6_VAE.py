"""VAE: a 2-D map where every point decodes to a handwritten digit; encode your own, walk between two."""

import streamlit as st

import ui.vae as ui
from explainers.vae import Interpolation, interpolate
from figures.pictures import image_strip, single_image
from figures.style import percent
from figures.vae import latent_map, loss_terms_bar
from ui.frame import go_deeper, load_or_stop, model_card, show_chart, timed, what_you_are_seeing
from ui.image_data import example_picker, get_judge
from ui.page_setup import setup_page

setup_page("vae")
vae = load_or_stop("vae", ui.get_vae)
load_or_stop("judge", get_judge)
st.markdown(
    "The VAE squeezes every 8×8 digit into just **two numbers**, a point on a map, and learns to redraw "
    "the digit from that point alone. Because the map is only 2-D, we can draw all of it."
)
grid = ui.vae_grid()
found = ui.confident_digits(0.8)

st.subheader("1 · The map: every point is a digit")
map_area = st.container()

st.subheader("2 · Encode a digit: where does it land?")
c_in, c_orig, c_rec, c_terms = st.columns([5, 3, 3, 5])
with c_in:
    image, caption = ui.digit_source_input()
marks = []
if image is not None:
    with timed("encode and decode"):
        enc, judged, sure = ui.encode_and_judge(image)
    mu, rec, recon, kl = enc.mu[0], enc.reconstruction[0], float(enc.recon_nats[0]), float(enc.kl_nats[0])
    marks = [(float(mu[0]), float(mu[1]), "your digit" if caption.startswith("your") else "this digit")]
    show_chart(c_orig, single_image(image[0, 0].numpy(), "Original", 260), key="orig", width="stretch")
    c_orig.caption(f"{caption.capitalize()}. It lands at **({mu[0]:.1f}, {mu[1]:.1f})** on the map (the star).")
    show_chart(c_rec, single_image(rec, "Redrawn", 260), key="rec", width="stretch")
    c_rec.caption(f"The judge reads the redrawn digit as **{judged}** ({percent(sure)} sure).")
    fig = loss_terms_bar(recon, kl, f"Cost for this digit: {recon + kl:.0f} nats")
    show_chart(c_terms, fig, key="terms", width="stretch")
    c_terms.caption("Training makes the sum of both bars small, on average over all training digits.")

st.subheader("3 · Walk between two digits")
w1, w2, w3 = st.columns([2, 2, 1])
with w1:
    img_a, cap_a = example_picker("From digit", "wa", 1)
with w2:
    img_b, cap_b = example_picker("To digit", "wb", 7)
steps = w3.slider("Steps", 3, 12, 8, key="walk", bind="query-params", help="How many stops along the straight line.")
walk = interpolate(vae, img_a, img_b, steps)
fig = image_strip(walk.images, [percent(f) for f in walk.fractions], f"From {cap_a} to {cap_b} in a straight line")
show_chart(st, fig, key="walkstrip", width="stretch")
st.caption("The orange line on the map above shows this walk. Midway, the decoder draws a blend of both digits.")


@st.fragment
def decode_any_point(marks: list[tuple[float, float, str]], walk: Interpolation) -> None:
    """Moving the decoded point (typed, or a click on the map or on a real digit) reruns only this part."""
    m1, m2 = st.columns(2)
    m3, m4 = st.columns([1, 2])
    with m3:
        st.markdown("**Decode any point.** Click the map or a real digit, or type coordinates:")
        za = st.number_input("z₁ (left ↔ right)", -4.0, 4.0, 0.0, 0.1, key="z1", bind="query-params", format="%.2f")
        zb = st.number_input("z₂ (down ↕ up)", -4.0, 4.0, 0.0, 0.1, key="z2", bind="query-params", format="%.2f")
        with timed("decode of one map point"):
            point, seen, sure = ui.decode_and_judge(za, zb)
    title = f"At ({za:.1f}, {zb:.1f}) the judge sees a {seen} ({percent(sure)} sure)"
    show_chart(m4, single_image(point, title, 280), key="point", width="content")
    title = f"The map holds all kinds of digits:<br>the judge finds {len(found)} of 10 here"
    fig = latent_map(grid.images, grid.axis, title, marks=marks + [(za, zb, "decoded")], path=walk.z)
    show_chart(
        m1,
        fig,
        key="map",
        on_select=lambda: ui.set_latent_from_click("map", "map"),
        selection_mode="points",
        width="stretch",
        config={"displayModeBar": False},
    )
    show_chart(
        m2,
        ui.encoded_scatter_figure(tuple(marks)),
        key="scatter",
        on_select=lambda: ui.set_latent_from_click("scatter", "scatter"),
        selection_mode="points",
        width="stretch",
    )


with map_area:
    decode_any_point(marks, walk)

st.markdown(
    "**Why are VAE digits blurry?** Each digit is squeezed into two numbers, so many different-looking 7s "
    "must share nearly the same spot. When unsure, the decoder plays safe and draws the *average* of all "
    "the digits that could be there, and an average of many strokes is a soft smudge. A GAN is never "
    "asked to redraw a particular digit: its only job is to fool a detective, and blurry images are easy "
    "to catch, so GANs draw crisp strokes (but may skip some digits altogether)."
)
what_you_are_seeing(
    "The left picture is the whole map: each small tile is what the decoder draws at that point. Neighbouring "
    "points give similar digits, and one digit morphs into another as you move. On the right, each real digit is "
    "written where the encoder puts it: same digits cluster together. Your digit's star shows where it lands."
)
go_deeper(r"""
**Model.** Encoder $q_\phi(z\mid x)=\mathcal N(\mu_\phi(x),\operatorname{diag}\sigma^2_\phi(x))$ and decoder
$p_\theta(x\mid z)$ (a Bernoulli per pixel) are small MLPs ($64\to256\to128\to2$ and back); $z\in\mathbb R^2$.

**Loss** (the negative ELBO, Kingma & Welling 2014, *Auto-Encoding Variational Bayes*):
$\mathcal L = \underbrace{-\mathbb E_{q}[\log p_\theta(x\mid z)]}_{\text{reconstruction (BCE)}}
+ \underbrace{\mathrm{KL}(q_\phi(z\mid x)\,\|\,\mathcal N(0,I))}_{=-\frac12\sum(1+\log\sigma^2-\mu^2-\sigma^2)}$.
The KL term pulls every digit's cloud towards the centre, which keeps the map filled with no gaps, so random
points decode to plausible digits.

**Reparameterisation.** $z=\mu+\sigma\odot\varepsilon$ with $\varepsilon\sim\mathcal N(0,I)$: the randomness is
an input, so gradients flow through $\mu$ and $\sigma$.

**Blur, precisely.** With a factorised likelihood the best decoder output is the posterior *mean* image
$\mathbb E[x\mid z]$; when $z$ cannot pin down one stroke style, that mean is a blend. GANs have no pixel-wise
likelihood, so they are not pulled towards means. The map shows tiles at the prior's 2nd-98th percentiles.

**Not shown:** the encoder's uncertainty $\sigma$ (each digit is really a small cloud, not a point) and the
decoder's per-pixel probabilities beyond their mean.
""")
model_card("vae", "judge")
