"""The tour: every page, its group and its one-line promise. Landing cards and navigation read this."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

APP_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class TourPage:
    key: str
    path: str  # relative to the app root, as st.page_link expects
    title: str
    icon: str  # emoji only: material icons would make the browser fetch fonts from outside
    promise: str
    group: str

    @property
    def exists(self) -> bool:
        return (APP_ROOT / self.path).is_file()


GROUPS = ("Text", "Images", "The big picture")

TOUR: tuple[TourPage, ...] = (
    TourPage(
        "tokens",
        "pages/1_Tokens.py",
        "Tokens",
        "🔤",
        "See how a language model cuts your text into the pieces it actually reads.",
        "Text",
    ),
    TourPage(
        "next_token",
        "pages/2_Next_token.py",
        "Next token",
        "🎲",
        "See the odds a language model gives every possible next word, and how settings reshape them.",
        "Text",
    ),
    TourPage(
        "generate",
        "pages/3_Generate.py",
        "Generate",
        "✍️",
        "Watch text being written one token at a time, and branch off to see what else could have been.",
        "Text",
    ),
    TourPage(
        "attention",
        "pages/4_Attention.py",
        "Attention",
        "👀",
        "See which earlier words each word looks back at while the model guesses what comes next.",
        "Text",
    ),
    TourPage(
        "gan",
        "pages/5_GAN.py",
        "GAN",
        "🥊",
        "Watch a forger and a detective train against each other until the fakes look real.",
        "Images",
    ),
    TourPage(
        "vae", "pages/6_VAE.py", "VAE", "🗺️", "Walk across a map where every point is a picture of clothing.", "Images"
    ),
    TourPage(
        "diffusion",
        "pages/7_Diffusion.py",
        "Diffusion",
        "🌫️",
        "Pull a picture out of pure noise, one denoising step at a time.",
        "Images",
    ),
    TourPage(
        "training",
        "pages/8_Training.py",
        "Training",
        "🏋️",
        "See how a model learns: the loss going down as it sees more examples.",
        "The big picture",
    ),
    TourPage(
        "evaluation",
        "pages/9_Evaluation.py",
        "Evaluation",
        "📏",
        "How do we know a generator is any good? Measure it.",
        "The big picture",
    ),
    TourPage(
        "limits",
        "pages/10_Limits.py",
        "Limits",
        "⚠️",
        "Where generative models go wrong: made-up facts, bias, and copying their training data.",
        "The big picture",
    ),
    TourPage(
        "history",
        "pages/11_History.py",
        "History",
        "📜",
        "From RNNs to transformers: watch a model that remembers race a model that looks back.",
        "The big picture",
    ),
    TourPage(
        "glossary",
        "pages/12_Glossary.py",
        "Glossary",
        "📖",
        "Every technical word on these pages, in plain words first.",
        "The big picture",
    ),
)

HOME = TourPage("home", "app.py", "The tour", "🏠", "What generative AI is, and how the tour is laid out.", "")


def page(key: str) -> TourPage:
    for entry in TOUR:
        if entry.key == key:
            return entry
    if key == HOME.key:
        return HOME
    raise KeyError(key)


def live_pages() -> list[TourPage]:
    """Pages that exist on disk: a page not yet built gets no card and no link."""
    return list(_live_pages())


@functools.cache
def _live_pages() -> tuple[TourPage, ...]:
    # Pages do not appear or vanish while a server runs (it has no file watcher), so look once.
    return tuple(p for p in TOUR if p.exists)
