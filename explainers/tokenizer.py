"""A byte-level BPE tokenizer (HF `tokenizers`), trained on the story corpus.

Byte-level means every text can be encoded: anything the merges do not cover falls back to
single bytes (256 base tokens), so emoji, accents and made-up words split into pieces.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

END_OF_TEXT = "<|endoftext|>"


def train_tokenizer(texts: Iterable[str], vocab_size: int = 512) -> Tokenizer:
    tok = Tokenizer(models.BPE())
    # GPT-2 style: split before spaces and punctuation, so " mat" is one piece and "." another.
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=[END_OF_TEXT],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(texts, trainer=trainer)
    tok.encode_special_tokens = True
    return tok


def load_tokenizer(json_text: str) -> Tokenizer:
    tok = Tokenizer.from_str(json_text)
    # Visitor text that happens to spell "<|endoftext|>" is text, not the story-boundary token.
    tok.encode_special_tokens = True
    return tok


def eot_id(tok: Tokenizer) -> int:
    return int(tok.token_to_id(END_OF_TEXT))


@lru_cache(maxsize=1)
def _byte_decoder() -> dict[str, int]:
    """GPT-2's printable stand-ins for bytes ("Ġ" is a space), mapped back to byte values."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {chr(c): b for b, c in zip(bs, cs, strict=True)}


def token_bytes(tok: Tokenizer, token_id: int) -> bytes:
    """The raw bytes one token stands for (special tokens give their name)."""
    piece = tok.id_to_token(token_id)
    if piece is None:
        return b""
    if piece == END_OF_TEXT:
        return piece.encode()
    table = _byte_decoder()
    return bytes(table[ch] for ch in piece)


@dataclass(frozen=True)
class TokenLabel:
    text: str  # what to print for people; spaces shown as "␣", a piece of a character as its bytes: ⟨F0 9F⟩
    complete: bool  # False when the token is part of a character that spans several tokens


def token_label(tok: Tokenizer, token_id: int) -> TokenLabel:
    raw = token_bytes(tok, token_id)
    try:
        text = raw.decode("utf-8")
        return TokenLabel(text.replace(" ", "␣").replace("\n", "⏎"), True)
    except UnicodeDecodeError:
        # Written like the other not-plain-text markers (⟨start⟩, ⟨end of story⟩): one notation everywhere.
        return TokenLabel("⟨" + " ".join(f"{b:02X}" for b in raw) + "⟩", False)
