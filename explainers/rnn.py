"""A word-by-word recurrent language model (an LSTM), the kind transformers replaced.

Same tokenizer, same stories and about as many parameters as the story GPT, so the History page can
compare the two fairly. An RNN reads left to right and squeezes everything it has read into one
fixed-size state vector; the transformer instead looks straight back at any earlier token.

`forward(idx, return_state=True)` also returns the LSTM's hidden state after every token,
shape (B, T, n_hidden): the state × position heatmap on the History page.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
import torch.nn as nn

CHRONO_T_MAX = 100.0  # tokens: the longest memory span the initial gate biases aim for (a story is ~80 tokens)


@dataclass(frozen=True)
class RNNConfig:
    vocab_size: int = 512
    n_embd: int = 96  # token embedding size (shared with the output layer, as in the GPT)
    n_hidden: int = 192  # LSTM state size: everything the model remembers about the past
    n_layer: int = 1
    # Not a limit of the architecture (an RNN can read on forever) but the longest text it is given: the GPT's
    # window, so both models read the same prompts. Training stories are shorter than this.
    block_size: int = 256

    def to_dict(self) -> dict[str, int]:
        return asdict(self)


class RNNLM(nn.Module):
    def __init__(self, cfg: RNNConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.wte = nn.Embedding(cfg.vocab_size, cfg.n_embd)  # token embeddings
        # The tied embeddings start small (std 0.02, as in the GPT); normalising them on the way in gives the
        # LSTM inputs of a usable size from the first step (without it, it took far longer to learn names).
        self.ln_in = nn.LayerNorm(cfg.n_embd)
        self.lstm = nn.LSTM(cfg.n_embd, cfg.n_hidden, num_layers=cfg.n_layer, batch_first=True)
        self.proj = nn.Linear(cfg.n_hidden, cfg.n_embd)  # state -> embedding space, then the tied output layer
        self.ln_f = nn.LayerNorm(cfg.n_embd)
        nn.init.normal_(self.wte.weight, mean=0.0, std=0.02)
        self._chrono_init(CHRONO_T_MAX)

    def _chrono_init(self, t_max: float) -> None:
        """Chrono initialisation (Tallec & Ollivier 2018, "Can recurrent neural networks warp time?"): forget-gate
        biases log(U(1, t_max - 1)) and input-gate biases their negatives, so at the start each unit keeps its
        memory for a different time span, up to ~t_max tokens. With the usual bias of 0 or 1 the LSTM forgot
        within a few tokens and, in our training budget, never learned to carry a name across a story."""
        H = self.cfg.n_hidden
        for layer in range(self.cfg.n_layer):
            b_ih, b_hh = getattr(self.lstm, f"bias_ih_l{layer}"), getattr(self.lstm, f"bias_hh_l{layer}")
            forget = torch.log(1 + torch.rand(H) * (t_max - 2))
            with torch.no_grad():
                b_ih.zero_()
                b_hh.zero_()
                b_ih[H : 2 * H] = forget  # PyTorch's gate order: input, forget, cell, output
                b_ih[:H] = -forget

    def forward(
        self,
        idx: torch.Tensor,
        return_state: bool = False,
        state: tuple[torch.Tensor, torch.Tensor] | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """idx (B, T) token ids -> logits (B, T, vocab) and, if asked, hidden states (B, T, n_hidden).

        `state` continues from an earlier call's (h, c) (each (n_layer, B, n_hidden)); see `run`."""
        x = self.ln_in(self.wte(idx))  # (B, T, n_embd)
        h, _ = self.lstm(x, state)  # (B, T, n_hidden): the top layer's state after each token
        logits = self.ln_f(self.proj(h)) @ self.wte.weight.T  # (B, T, vocab)
        return logits, (h if return_state else None)

    def run(
        self, idx: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor] | None = None
    ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        """Logits (B, T, vocab) and the final (h, c) state, so generation can feed one token at a time:
        an RNN's cost per new token does not grow with the length of the text."""
        x = self.ln_in(self.wte(idx))  # (B, T, n_embd)
        h, last = self.lstm(x, state)  # (B, T, n_hidden), ((n_layer, B, H), (n_layer, B, H))
        return self.ln_f(self.proj(h)) @ self.wte.weight.T, last


def build_rnn(architecture: dict, tensors: dict[str, torch.Tensor] | None = None) -> RNNLM:
    """Build from config["architecture"]; load weights if given. Always in eval mode."""
    keys = RNNConfig.__dataclass_fields__.keys()
    model = RNNLM(RNNConfig(**{k: int(architecture[k]) for k in keys}))
    if tensors is not None:
        model.load_state_dict(tensors, strict=True)
    return model.eval()


def load_rnn_lm(name: str = "rnn"):  # -> explainers.lm.LM (imported late: lm imports the GPT, not this file)
    """The shipped RNN with its tokenizer, as an `explainers.lm.LM`: the text pages' functions (next_token,
    generate, ...) run it unchanged. Raises explainers.store.ModelLoadError on missing/damaged files."""
    import json

    from explainers.lm import LM
    from explainers.store import ModelLoadError, load_model
    from explainers.tokenizer import eot_id, load_tokenizer

    loaded = load_model(name)
    path = loaded.directory / "tokenizer.json"
    if not path.is_file():
        raise ModelLoadError(name, "its tokenizer file tokenizer.json is missing")
    try:
        tok = load_tokenizer(path.read_text())
    except (ValueError, UnicodeDecodeError, json.JSONDecodeError, Exception) as exc:  # tokenizers raises Exception
        raise ModelLoadError(name, f"its tokenizer file cannot be read ({type(exc).__name__})") from exc
    try:
        model = build_rnn(loaded.config["architecture"], loaded.tensors)
    except (KeyError, RuntimeError, TypeError, ValueError) as exc:
        raise ModelLoadError(name, f"its weights do not fit its architecture ({type(exc).__name__})") from exc
    if tok.get_vocab_size() != model.cfg.vocab_size:
        raise ModelLoadError(name, "its tokenizer does not match its weights")
    return LM(model, tok, eot_id(tok), loaded.config)
