"""Find what a generated sample copied word for word from the training text.

A character of a sample counts as *copied* when it lies inside a stretch of at least `length` characters that
appears verbatim somewhere in the training text. (Every 20-character piece of a verbatim stretch is itself
verbatim, so the copied characters are exactly the union of the sample's copied `length`-character windows.)

Fast on long texts: every `length`-character window of the training text gets a 64-bit polynomial hash
(built by doubling, a few numpy passes however long the window), the hashes are sorted once, and each window
of the sample is looked up with a binary search, then confirmed by comparing the actual characters, so a hash
collision can never report a false copy. Memory: 12 bytes per training character.

How long must a stretch be to count? Ordinary language repeats itself: every one of our stories starts
"Once upon a time, there was a", and new stories share long stretches with old ones without anyone copying.
So the length is calibrated on the held-out text (new text of the same kind that the model never saw): the
shortest length, from 20 characters up, at which at most 10% of the held-out text is "copied". Copying well
above that share is memorization, not just speaking the same language.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

MIN_COPY_LENGTH = 20
LENGTH_LADDER: tuple[int, ...] = (20, 25, 30, 40, 50, 60, 80, 100, 120, 160, 200, 250, 300, 400)
BASELINE_SHARE = 0.10  # at the chosen length, new text of the same kind looks at most this "copied"

_MASK = (1 << 64) - 1
_BASE = 0x100000001B3  # odd 64-bit multiplier (the FNV prime); arithmetic wraps modulo 2**64
_SCRAMBLE = 0x9E3779B97F4A7C15


def _codes(text: str) -> np.ndarray:
    """Code points as uint64, scrambled so that no character hashes to 0."""
    cps = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    return cps * np.uint64(_SCRAMBLE) + np.uint64(1)


def window_hashes(text: str | np.ndarray, length: int) -> np.ndarray:
    """Hash of every `length`-character window (n - length + 1 of them), by doubling:
    h(s[i : i+a+b]) = h(s[i : i+a]) * B**b + h(s[i+a : i+a+b]) (mod 2**64)."""
    codes = _codes(text) if isinstance(text, str) else text
    n = len(codes)
    if length < 1 or n < length:
        return np.zeros(0, dtype=np.uint64)
    acc, acc_len = None, 0  # hash of the first acc_len characters of each window
    cur, cur_len = codes, 1  # hashes of windows of cur_len characters
    remaining = length
    while remaining:
        if remaining & 1:
            if acc is None:
                acc, acc_len = cur, cur_len
            else:
                m = n - (acc_len + cur_len) + 1
                acc = acc[:m] * np.uint64(pow(_BASE, cur_len, 1 << 64)) + cur[acc_len : acc_len + m]
                acc_len += cur_len
        remaining >>= 1
        if remaining:
            m = n - 2 * cur_len + 1
            cur = cur[:m] * np.uint64(pow(_BASE, cur_len, 1 << 64)) + cur[cur_len : cur_len + m]
            cur_len *= 2
    assert acc is not None and acc_len == length
    return acc[: n - length + 1]


@dataclass(frozen=True)
class Copies:
    """What a sample copied from the training text."""

    length: int  # shortest stretch that counts
    copied: np.ndarray  # (len(sample),) bool: this character is inside a verbatim stretch
    spans: tuple[tuple[int, int], ...]  # maximal runs of copied characters, [start, end)
    sources: tuple[int, ...]  # for each span, where its first window appears in the training text

    @property
    def share(self) -> float:
        return float(self.copied.mean()) if self.copied.size else 0.0

    @property
    def longest(self) -> int:
        return max((b - a for a, b in self.spans), default=0)


class CopyFinder:
    """An index of one training text, for any number of samples. Thread-safe; indexes are built on demand."""

    def __init__(self, training_text: str) -> None:
        self.text = training_text
        self._codes = _codes(training_text)
        self._index: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self._lock = threading.Lock()

    @property
    def nbytes(self) -> int:
        return int(self._codes.nbytes + sum(h.nbytes + p.nbytes for h, p in self._index.values()))

    def _sorted(self, length: int) -> tuple[np.ndarray, np.ndarray]:
        with self._lock:
            found = self._index.get(length)
            if found is None:
                h = window_hashes(self._codes, length)
                order = np.argsort(h, kind="stable").astype(np.int32)
                found = (h[order], order)
                # Keep only the most recent index: a run asks for one length (its calibrated one) again and again.
                self._index = {length: found}
            return found

    def find(self, sample: str, length: int = MIN_COPY_LENGTH) -> Copies:
        n = len(sample)
        copied = np.zeros(n, dtype=bool)
        window_source = np.full(max(n - length + 1, 0), -1, dtype=np.int64)
        if n >= length and len(self.text) >= length:
            hashes, positions = self._sorted(length)
            q = window_hashes(sample, length)
            at = np.minimum(np.searchsorted(hashes, q), len(hashes) - 1)
            for i in np.nonzero(hashes[at] == q)[0]:
                piece = sample[i : i + length]
                pos = int(positions[at[i]])
                if self.text[pos : pos + length] != piece:  # a hash collision: look the hard way
                    pos = self.text.find(piece)
                    if pos < 0:
                        continue
                window_source[i] = pos
                copied[i : i + length] = True
        spans, sources = [], []
        i = 0
        while i < n:
            if not copied[i]:
                i += 1
                continue
            j = i
            while j < n and copied[j]:
                j += 1
            spans.append((i, j))
            sources.append(int(window_source[i]) if i < len(window_source) else -1)
            i = j
        return Copies(length, copied, tuple(spans), tuple(sources))

    def share(self, text: str, length: int) -> float:
        return self.find(text, length).share

    def calibrate(self, heldout: str, target: float = BASELINE_SHARE) -> tuple[int, float]:
        """The shortest ladder length at which the held-out text looks at most `target` copied, and that share.
        The share can only fall as the length grows, so a binary search over the ladder finds it."""
        lo, hi = 0, len(LENGTH_LADDER) - 1
        shares: dict[int, float] = {}

        def at(k: int) -> float:
            if k not in shares:
                shares[k] = self.share(heldout, LENGTH_LADDER[k])
            return shares[k]

        if at(hi) > target:  # even the longest length: say so with its share
            return LENGTH_LADDER[hi], at(hi)
        while lo < hi:
            mid = (lo + hi) // 2
            if at(mid) <= target:
                hi = mid
            else:
                lo = mid + 1
        return LENGTH_LADDER[lo], at(lo)
