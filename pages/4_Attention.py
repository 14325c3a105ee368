import streamlit as st

from explainers import lm as lmx
from figures import lm as figs
from figures.style import percent
from ui.frame import go_deeper, load_or_stop, model_card, show_chart, timed, what_you_are_seeing
from ui.lm import cached_attention, load_gpt, prompt_box, text_key
from ui.page_setup import setup_page

setup_page("attention")
lm = load_or_stop("gpt", load_gpt)
cfg = lm.model.cfg
role = lmx.name_head(lm)
role_layer, role_head = (role[0], role[1]) if role else (cfg.n_layer - 1, 0)
AVERAGE = "Average of all heads"

prompt = prompt_box("att_prompt", lmx.DEFAULT_STORY_PROMPT, label="Your text")
c1, c2 = st.columns(2)
layer = (
    c1.selectbox(
        "Layer",
        list(range(1, cfg.n_layer + 1)),
        index=role_layer,
        key="layer",
        bind="query-params",
        help="Layer 1 reads the tokens directly; later layers read what earlier layers wrote.",
    )
    - 1
)
head_choice = c2.selectbox(
    "Head",
    [str(h) for h in range(1, cfg.n_head + 1)] + [AVERAGE],
    index=role_head,
    format_func=lambda h: f"{h} ★ copies names" if role and (layer, h) == (role_layer, str(role_head + 1)) else h,
    key="head",
    bind="query-params",
    help="Each head learns its own way of looking back. ★ marks the head whose job we measured.",
)

with timed("forward pass with attention"):
    view = cached_attention(prompt)
T = len(view.labels)
if T > lmx.MAX_ATTENTION_TOKENS - 1:
    st.warning(f"Long text: only the last {lmx.MAX_ATTENTION_TOKENS} tokens are shown.")

if head_choice == AVERAGE:
    head, name = None, f"layer {layer + 1}, average of its {cfg.n_head} heads"
else:
    head = int(head_choice) - 1
    name = f"layer {layer + 1}, head {head + 1}" + (" ★" if role and (layer, head) == role[:2] else "")

if role:
    st.success(
        f"**★ A head with a job we measured: layer {role[0] + 1}, head {role[1] + 1} copies names.** (A *head* is "
        f"one of the model's {cfg.n_layer * cfg.n_head} separate ways of looking back.) When the next "
        f"word must be a character's name (as after 'Mia went to the park with'), this head puts on average "
        f"**{percent(role[2])}** of its attention on the earlier mention of that name (held-out stories). "
        "The page opens on it, and it carries a ★ in the head list and on the charts.",
        icon="🔎",
    )
    look = lmx.name_lookback(lm, view, role[0], role[1])
    if look is not None:
        st.markdown(
            f"Here the model's favourite next token is **{look.predicted}**, and that head puts "
            f"**{percent(look.weight_on_name)}** of its attention on the earlier '{look.predicted}'."
        )


@st.fragment
def where_tokens_look(view: lmx.AttentionView, layer: int, head: int | None, name: str) -> None:
    """Picking a looking token reruns only this part: the heatmap's highlighted row and that row's bars.
    `head` None means the average over the layer's heads."""
    att = view.mean_over_heads[layer] if head is None else view.attention[layer, head]
    labels = list(view.labels)
    T = len(labels)
    # The slider belongs to this text: a new text gets a new slider, at the last token. With one key for every
    # text, the browser and the server could keep different positions after an edit (the slider showed the
    # last token while the charts described the old one); every chart below is drawn from this one `query`.
    query = st.select_slider(
        "Which token is looking?",
        options=list(range(T)),
        value=T - 1,
        format_func=lambda i: f"{i}: {labels[i]}",
        key=f"query_{text_key(view)}",
        help="Pick a token to see where it looks: its row in the heatmap.",
    )
    lo, hi = figs.heat_window(T, query, figs.HEAT_ROWS)
    show_chart(
        st,
        figs.attention_heatmap(att, labels, f"Where each token looks\n({name})", selected=query),
        key="heatmap",
        width="stretch",
        config={"displayModeBar": False},
    )
    st.caption(
        "Each row is a token looking back; each column is a token it can look at; a row adds up to 100%. "
        "Grey cells are the future: a token may not look ahead (the causal mask). Column ·N is the same token as "
        "row ·N: on a narrow screen only every few columns are named, and a tap on a cell names both tokens."
        + (
            f" Long text: the map shows tokens {lo} to {hi - 1}, ending at the one looking; its first column adds "
            f"up what they give the {lo} tokens before them."
            if lo > 0
            else ""
        )
    )
    show_chart(
        st, figs.looks_at_bars(att[query], labels, query), key="row", width="stretch", config={"displayModeBar": False}
    )


where_tokens_look(view, layer, head, name)
nxt = ", ".join(
    f"'{lmx.label(lm, t)}' {percent(float(p))}" for t, p in zip(view.next_ids, view.next_probs, strict=True)
)
st.markdown(f"**After the whole text, the model's next-token guesses:** {nxt}")

with st.expander("All heads at once" + (" (★ marks the one that copies names)" if role else ""), expanded=False):
    st.caption(
        "Each small square is one head's heatmap, drawn like the big one: the token looking runs down, the token "
        "it looks at runs across. L = layer, H = head. Tap or hover a cell to see its tokens."
    )
    show_chart(
        st,
        figs.head_grid(view.attention, view.labels, (role_layer, role_head) if role else None),
        key="grid",
        width="stretch",
        config={"displayModeBar": False},
    )

what_you_are_seeing(
    "To guess the next word, each word **looks back at the earlier words that matter**. The heatmap shows how "
    "much each token (row) looks at each earlier token (column) in one *head*. The ★ head has a job we "
    "measured: when a name has to be repeated, it looks at where that name appeared before."
)
go_deeper(
    r"""
**Scaled dot-product attention** (Vaswani et al. 2017, *Attention Is All You Need*). Each token makes a query
$q$, a key $k$ and a value $v$. Weights are $\mathrm{softmax}\big(\frac{q k^\top}{\sqrt{d}} + M\big)$, where the mask
$M$ is $-\infty$ above the diagonal, so every row sums to 1 over the past only. The head's output is the
weighted sum of values. This model has """
    + f"{cfg.n_layer} layers x {cfg.n_head} heads, {cfg.n_embd // cfg.n_head} dimensions per head."
    + r"""

**How the head's job was measured.** On held-out stories, at every position where the grammar says the next
word is certainly a character's name, we sum the head's weights on earlier tokens of that name, and average.
The best head and its number are in the model card (`name_head_*`).

**What attention does not explain.** A weight says where a head *reads from*, not what it does with it: the
value vectors, the MLPs and later layers transform that information, and the residual stream carries plenty
the heatmap never shows. High attention is not proof that a token *caused* the prediction (Jain & Wallace 2019,
*Attention is not Explanation*); a proper test changes the input or the weights and watches the output.
"""
)
model_card("gpt")
