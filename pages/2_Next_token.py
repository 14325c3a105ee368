import streamlit as st

from explainers import lm as lmx
from figures import lm as figs
from ui.frame import go_deeper, load_or_stop, model_card, show_chart, timed, what_you_are_seeing
from ui.lm import EXAMPLE_PROMPTS, cached_next_token, cached_true_odds, load_gpt, prompt_box, true_odds_note
from ui.page_setup import setup_page

setup_page("next_token")
lm = load_or_stop("gpt", load_gpt)


def use_example(text: str) -> None:
    st.session_state["prompt"] = text


cols = st.columns(len(EXAMPLE_PROMPTS))
for col, (name, text) in zip(cols, EXAMPLE_PROMPTS.items(), strict=True):
    col.button(name, on_click=use_example, args=(text,), width="stretch")
prompt = prompt_box("prompt", "The cat sat on the", label="Your prompt")

with timed("forward pass"):
    nt = cached_next_token(prompt)  # one forward pass per prompt; the knobs below never rerun the model
    truth = cached_true_odds(prompt)


@st.fragment
def knobs_and_odds(nt: lmx.NextToken, truth: lmx.TrueOdds | None) -> None:
    """The sampling knobs and everything they reshape. A knob change reruns only this part: the cached
    logits are reused, the model does not run again."""
    k1, k2, k3 = st.columns(3)
    temperature = k1.slider(
        "Creativity (temperature)",
        0.0,
        2.0,
        1.0,
        0.05,
        key="temperature",
        bind="query-params",
        help="Divides the scores before softmax (the step that turns scores into odds). Below 1: the favourite "
        "gets even more likely. Above 1: the odds flatten out. 0 means always take the favourite (greedy).",
    )
    top_k = k2.slider(
        "Only the top k tokens (top-k)",
        0,
        50,
        0,
        1,
        key="top_k",
        bind="query-params",
        help="Keep only the k most likely tokens and share their probability out again. 0 = off.",
    )
    top_p = k3.slider(
        "Top tokens adding up to p (top-p)",
        0.05,
        1.0,
        1.0,
        0.05,
        key="top_p",
        bind="query-params",
        help="Keep the smallest set of top tokens whose probabilities add up to at least p. 1.0 = off.",
    )

    s = lmx.apply_sampling(nt.logits, temperature, top_k, top_p)

    shown = lmx.tokens_to_show(s, truth)
    labels = [lmx.label(lm, t) for t in shown]

    m1, m2, m3 = st.columns(3)
    m1.metric(
        "How sure the model is",
        figs.effective_choices_text(s.effective_choices).capitalize(),
        help="Entropy of the distribution after your settings, shown as an equivalent number of equally likely choices.",
    )
    m2.metric("Like choosing among", f"{s.effective_choices:.1f} tokens", help=f"entropy = {s.entropy:.2f} nats")
    m3.metric("Tokens still allowed", f"{s.n_kept:,} of {lm.vocab_size:,}")

    show_chart(
        st,
        figs.next_token_bars(
            labels,
            s.probs[shown],
            s.base[shown],
            s.kept[shown],
            truth.token_probs[shown] if truth is not None else None,
            removed_by=figs.removed_by(temperature, top_k, top_p),
        ),
        key="bars",
        width="stretch",
        # Every bar carries its number, so the chart is drawn static: no hover layers to rebuild on each knob move
        config={"displayModeBar": False, "staticPlot": True},
    )
    # Folded by default and drawn only when open, so a knob move redraws one chart, not two.
    running_total = st.expander(
        "How top-p decides where to cut: the running total of the odds",
        key="running_total",
        on_change="rerun",
        bind="query-params",
    )
    with running_total:
        if running_total.open:
            show_chart(
                st,
                figs.cumulative_curve(s.cumulative, top_p, s.n_kept),
                key="cumulative",
                width="stretch",
                config={"displayModeBar": False},
            )

    st.markdown("#### From scores to probabilities, for the top 5")
    rows = lmx.score_steps(lm, nt.logits, s, temperature)
    st.table(figs.score_table(rows.tokens, rows.logits, rows.scaled, rows.probs), hide_index=True)  # plain HTML


# The knobs do not change the model's own odds: this box sits outside the fragment, so a knob move does not redraw it.
if truth is not None:
    st.success(
        true_odds_note(truth, lmx.kl_divergence(truth.token_probs, lmx.apply_sampling(nt.logits).probs)), icon="📖"
    )
else:
    st.info(true_odds_note(None, 0.0), icon="🧭")

knobs_and_odds(nt, truth)

what_you_are_seeing(
    "The model gives every token in its vocabulary a **score**. **Softmax** turns the scores into probabilities "
    "that add up to 100%: the bars. Your settings reshape those odds instantly, without running the model again: "
    "creativity flattens or sharpens them (at 0 only the favourite is left), top-k and top-p cut off the unlikely "
    "tail (grey). Orange bars are what the stories really do next, when we know it. The scale stays 0 to 100%, so "
    "what moves is the odds, not the ruler."
)
go_deeper(
    r"""
**Softmax with temperature.** With scores (logits) $z_i$ and temperature $T$:
$$p_i = \frac{e^{z_i/T}}{\sum_j e^{z_j/T}}$$
$T\to 0$ puts all mass on the largest score (greedy); $T=1$ is the model's own distribution; large $T$ tends to
uniform.

**Top-k** keeps the $k$ largest $p_i$; **top-p** (nucleus sampling, Holtzman et al. 2020, *The Curious Case of
Neural Text Degeneration*) keeps the smallest set of top tokens whose total reaches $p$. Both renormalise what
is left. Order here: temperature, then top-k, then top-p.

**How sure.** Entropy $H = -\sum_i p_i \ln p_i$ (nats); $e^H$ is the number of equally likely choices with the
same uncertainty.

**True odds.** Our stories come from a grammar (`explainers/corpus.py`), so for a prompt inside it we know the
exact next-word distribution. Each word is mapped to its first token (words sharing one are added) and compared
with the model by KL divergence $\sum_w p_{\text{true}}(w)\ln\frac{p_{\text{true}}(w)}{p_{\text{model}}(w)}$.

**Not shown.** The scores come from the last position of one forward pass over your whole prompt; the Attention
page shows what happens inside it.
"""
)
model_card("gpt")
