"""VAE: a 2-D map where every point decodes to a picture (clothes or digits); encode your own, walk between two."""

from typing import Any

import streamlit as st

import ui.vae as ui
from explainers.datasets import ImageDataset
from explainers.vae import interpolate
from figures.pictures import single_image
from figures.style import percent
from figures.vae import MARK_KEY, Mark
from ui.frame import go_deeper, load_or_stop, model_card, show_chart, timed, what_you_are_seeing
from ui.image_data import choose_dataset, example_picker, get_judge, picture_row, with_article
from ui.page_setup import setup_page
from ui.touch import one_tap_charts

setup_page("vae")
one_tap_charts()
data = choose_dataset("Clothes: 28×28 photos of 10 kinds (Fashion-MNIST). Digits: 8×8 handwriting you can draw.")
key, names, defaults = data.key, data.class_names, ui.DEFAULT_KINDS[data.key]
vae = load_or_stop(data.model("vae"), lambda: ui.get_vae(key))
load_or_stop(data.model("judge"), lambda: get_judge(key))
n = data.image_size
st.markdown(
    f"The VAE squeezes every {n}×{n} picture of {data.title} into just **two numbers**, a point on a map, and "
    "learns to redraw the picture from that point alone. Because the map is only 2-D, we can draw all of it."
)
explore_area = st.container()
PICTURE = {"width": "stretch", "config": {"displayModeBar": False}}  # no zoom tools over the titles on a phone

st.subheader("3 · Walk between two pictures")
w1, w2, w3 = st.columns([2, 2, 1])
with w1:
    img_a, kind_a, _ = example_picker("From", "wa", defaults["wa"], data)
with w2:
    img_b, kind_b, _ = example_picker("To", "wb", defaults["wb"], data)
steps = w3.slider("Stops", 3, 12, 8, key="walk", bind="query-params", help="How many stops along the straight line.")
walk = interpolate(vae, img_a, img_b, steps)
title = f"From {with_article(names[kind_a])} to {with_article(names[kind_b])}: how far along the walk each stop is"
picture_row(walk.images, [percent(f) for f in walk.fractions], title)
st.caption(
    "0% is where the first picture lands on the map, 100% where the second one does; the stops in between are "
    "evenly spaced on the straight line joining them (the purple line on the map). In between, the decoder draws "
    "whatever lives at that spot of the map: a blend of both, or another kind altogether."
)


@st.fragment
def explore(data: ImageDataset, walk_z: Any) -> None:  # walk_z: the walk's (stops, 2) map points
    """The map, a decoded point and an encoded picture. A click, a typed point, a new example or a drawn stroke
    reruns only this part; the walk (drawn on the map) comes from the last full run."""
    st.subheader("1 · The map: every point is a picture")
    map_col, point_col = st.columns([5, 3])
    scatter_col, scatter_note = st.columns([5, 3])
    scatter_note.markdown(
        f"**Where real {data.title} land.** Each small {'digit' if key == 'digits' else 'picture'} is a real one "
        "the model never trained on, drawn where the encoder puts it, in its kind's colour. The dashed square is "
        "the map above. Tap one to decode exactly that point."
    )
    marks = ui.encode_section(data, defaults["enc"], PICTURE)

    with point_col:
        st.markdown("**Decode any point.** Tap the map or a real picture below, or type coordinates:")
        z_1, z_2 = st.columns(2)
        za = z_1.number_input("z₁ (across)", -4.0, 4.0, 0.0, 0.1, key="z1", bind="query-params", format="%.2f")
        zb = z_2.number_input("z₂ (up)", -4.0, 4.0, 0.0, 0.1, key="z2", bind="query-params", format="%.2f")
        with timed("decoding of one map point"):
            point, seen, sure = ui.decode_and_judge(key, za, zb)
        title = f"At ({za:.1f}, {zb:.1f}) the judge sees<br>{with_article(names[seen])} ({percent(sure)} sure)"
        show_chart(st, single_image(point, title, 360), key="point", **PICTURE)
        if max(abs(za), abs(zb)) > ui.map_extent(key):
            st.warning(
                f"({za:.1f}, {zb:.1f}) is off the map. Training kept every real {data.item} closer to the centre, "
                "so out here the decoder is guessing: what it draws may look like no real one.",
                icon="🧭",
            )
    found = ui.confident_kinds(key)
    title = f"Every point decodes to a picture:<br>the judge reads {len(found)} of 10 kinds here"
    decoded = Mark(za, zb, "the decoded point", encoded=False)
    fig = ui.map_figure(key, title, [*marks, decoded], walk_z)
    show_chart(
        map_col,
        fig,
        key="map",
        on_select=lambda: ui.set_latent_from_click("map", "map"),
        selection_mode="points",
        width="stretch",
        config={"displayModeBar": False},
    )
    map_col.caption(MARK_KEY)
    show_chart(
        scatter_col,
        ui.encoded_scatter_figure(key, tuple(marks)),
        key="scatter",
        on_select=lambda: ui.set_latent_from_click("scatter", "scatter"),
        selection_mode="points",
        width="stretch",
        config={"displayModeBar": False},
    )


with explore_area:
    explore(data, walk.z)

st.markdown(
    f"**Why are VAE pictures blurry?** Each {data.item} is squeezed into two numbers, so many different-looking "
    "ones must share nearly the same spot. When unsure, the decoder plays safe and draws the *average* of all the "
    "pictures that could be there, and an average of many pictures is a soft smudge. A GAN is never asked to "
    "redraw a particular picture: its only job is to fool a detective, and blurry pictures are easy to catch, so "
    "GANs draw crisper pictures (but may skip some kinds altogether)."
)
what_you_are_seeing(
    "The first chart is the whole map: each tile is what the decoder draws at that point. Neighbouring points give "
    f"similar pictures, and one kind morphs into another as you move. The chart of real {data.title} shows where "
    "the encoder puts each one: the same kinds cluster together. A star shows where your picture lands."
)
go_deeper(ui.technical_notes(key))
model_card(data.model("vae"), data.model("judge"))
