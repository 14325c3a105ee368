"""Every technical word on a page's first screen is in the glossary, and in that page's "Words on this page".

The first screen is read from the page itself under AppTest: its title, promise and everything written above its
first chart (text, headlines, boxes, metric and control names), without the classroom's own boxes. JARGON is the
list of technical words we look for; a word found there must have a glossary entry (as its term or an alias) and be
listed for the page in content/glossary.toml [pages], which the page's "📖 Words on this page" box shows.
"""

from __future__ import annotations

import re

import pytest

from classroom import content
from tests.classroom_apptest import first_screen_text, open_at, texts
from ui.tour import HOME, live_pages

JARGON = [
    "AI",
    "attention",
    "batch",
    "bias",
    "calibration",
    "checkpoint",
    "classifier",
    "CNN",
    "DDIM",
    "DDPM",
    "decoder",
    "denoising",
    "detective",
    "diffusion",
    "discriminator",
    "embedding",
    "encoder",
    "entropy",
    "epoch",
    "Fashion-MNIST",
    "fine-tuned",
    "fine-tuning",
    "forger",
    "Fréchet distance",
    "GAN",
    "generative",
    "generator",
    "GPT",
    "gradient",
    "grammar",
    "greedy",
    "guidance",
    "hallucination",
    "head",
    "held-out",
    "KL",
    "KL divergence",
    "language model",
    "latent",
    "layer",
    "learning rate",
    "logit",
    "logits",
    "loss",
    "LSTM",
    "memorization",
    "mode collapse",
    "nats",
    "neural network",
    "noise",
    "overfitting",
    "parameters",
    "perplexity",
    "prompt",
    "RNN",
    "sampled",
    "sampler",
    "sampling",
    "seed",
    "softmax",
    "temperature",
    "token",
    "tokenizer",
    "tokens",
    "top-k",
    "top-p",
    "transformer",
    "U-Net",
    "VAE",
    "vocabulary",
    "weights",
]
PAGES = [HOME.key] + [p.key for p in live_pages() if p.key != "glossary"]


def test_every_jargon_word_has_an_entry() -> None:
    missing = []
    for word in JARGON:
        try:
            content.term(word)
        except KeyError:
            missing.append(word)
    assert missing == [], f"jargon without a glossary entry: {missing}"


@pytest.mark.parametrize("key", PAGES)
def test_first_screen_words_are_in_the_glossary(key: str) -> None:
    text = _without_links(first_screen_text(open_at(key)))
    found = content.find_terms(text, JARGON)
    listed = set(content.page_words().get(key, ()))
    unlisted = sorted({content.term(word).term for word in found} - listed)
    assert unlisted == [], f"{key}: first-screen words missing from its [pages] list: {unlisted}\n{text[:2000]}"


def _without_links(markdown: str) -> str:
    """Glossary links read as their words: a link's title (a word's meaning) is not the page's text."""
    return re.sub(r'\[([^\]]*)\]\([^ )]*(?: "(?:[^"\\]|\\.)*")?\)', r"\1", markdown)


def test_a_page_links_each_word_once_to_its_glossary_entry() -> None:
    """Generate's promise and "What you are seeing" go through ui.classroom.glossary_links: their words link to the
    Glossary, each the first time it appears on the page."""
    at = open_at("generate")
    page_text = "\n".join(texts(at))
    assert "**What you are seeing.**" in page_text
    links = re.findall(r'\[([^\]]*)\]\((Glossary\?term=[^ )]*) "([^"]*)"\)', page_text)
    assert ("token", "Glossary?term=Token", f"Token: {content.term('token').plain}") in links
    assert {text.lower() for text, _, _ in links} >= {"token", "greedy", "seed"}
    assert len([h for _, h, _ in links if h == "Glossary?term=Token"]) == 1  # once, though 'token' comes back
