"""What one output costs: network passes, parameters, and time measured on this server, for every shipped
model; then the same arithmetic for a large language model, with its assumptions and sources.

A text model runs its network once per token (our GPT re-reads the whole text each time; the RNN carries
a state and reads only the new token). A diffusion model runs its network once per denoising step, ~200
times per picture; a GAN or a VAE once per picture. Time per pass is measured here, on this machine,
one thread, the model already loaded: the median of a few runs (a shared server is noisy).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from explainers.store import ModelLoadError, pretrained_root, read_config

# ---------------------------------------------------------------------------------------------
# Our models


@dataclass(frozen=True)
class ModelCost:
    name: str
    title: str
    output: str  # what one output is, in words
    parameters: int
    passes_per_output: float  # network passes for one output
    ms_per_output: float  # measured, median
    note: str  # how the passes were counted

    @property
    def ms_per_pass(self) -> float:
        return self.ms_per_output / self.passes_per_output


def _median_ms(fn: Callable[[], object], reps: int) -> float:
    fn()  # warm-up: first calls allocate
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


STORY_TOKENS = 80  # a typical story: 68 words on average, ~80 tokens (measured on the GPT's tokenizer)


def _text_cost(name: str, reps: int) -> ModelCost:
    from explainers import lm as lmx

    if name == "rnn":
        from explainers.rnn import load_rnn_lm

        lm = load_rnn_lm(name)

        def story() -> None:  # one token in, one token out, the state carried along: constant cost per token
            x = torch.tensor([[lm.eot]])
            state = None
            with torch.inference_mode():
                for _ in range(STORY_TOKENS):
                    logits, state = lm.model.run(x, state)
                    x = logits[:, -1:].argmax(-1)

        note = "one pass per token; the RNN reads only the new token and carries its state"
    else:
        lm = lmx.load_lm(name)

        def story() -> None:  # the GPT re-reads the whole text for each new token (no cache)
            ids = [lm.eot]
            with torch.inference_mode():
                for _ in range(STORY_TOKENS):
                    logits, _ = lm.model(torch.tensor([ids]))
                    ids.append(int(logits[0, -1].argmax()))

        note = "one pass per token; each pass re-reads the text so far (no cache), so later tokens cost more"
    params = int(sum(p.numel() for p in lm.model.parameters()))
    return ModelCost(
        name,
        lm.config.get("title", name),
        f"a story of {STORY_TOKENS} tokens",
        params,
        STORY_TOKENS,
        _median_ms(story, reps),
        note,
    )


def _diffusion_cost(name: str, reps: int) -> ModelCost:
    from explainers import diffusion

    model = diffusion.load_diffusion(name)
    steps = len(model.ddpm.timesteps())
    ms = _median_ms(lambda: diffusion.sample(model, [0], seed=0, sampler="ddpm"), reps)
    params = int(sum(p.numel() for p in model.net.parameters()))
    title = read_config(name).get("title", name)
    note = f"one pass per denoising step ({steps} steps; each pass scores the picture with and without its kind)"
    return ModelCost(name, title, "one picture", params, steps, ms, note)


def _gan_cost(name: str, reps: int) -> ModelCost:
    from explainers.store import load_model

    loaded = load_model(name)
    if name == "gan_digits":
        from explainers.gan import ShippedDigitsGan

        gan = ShippedDigitsGan(loaded.tensors, loaded.config)
    else:
        from explainers.gan_images import ShippedImageGan

        gan = ShippedImageGan(loaded.tensors, loaded.config)
    params = int(sum(p.numel() for p in gan.gen.parameters()))
    ms = _median_ms(lambda: gan.sample(1, seed=0), reps)
    note = "one pass of the generator per picture (the detective is not needed once trained)"
    return ModelCost(name, loaded.config.get("title", name), "one picture", params, 1, ms, note)


def _vae_cost(name: str, reps: int) -> ModelCost:
    from explainers import vae as vaex

    model = vaex.load_vae(name)
    params = int(sum(p.numel() for p in model.parameters()))  # encoder included: it is part of the shipped model
    ms = _median_ms(lambda: vaex.sample_prior(model, 1, seed=0), reps)
    note = "one pass of the decoder per picture (the encoder is only needed to map real pictures)"
    return ModelCost(name, read_config(name).get("title", name), "one picture", params, 1, ms, note)


def _kind(name: str, config: dict) -> str | None:
    arch = config.get("architecture", {})
    if arch.get("type") in ("gpt", "rnn"):
        return "text"
    if "diffusion" in name:
        return "diffusion"
    if "gan" in name:
        return "gan"
    if "vae" in name:
        return "vae"
    return None  # judges read pictures, n-gram tables are looked up: neither generates by passes of a network


MEASURE = {"text": _text_cost, "diffusion": _diffusion_cost, "gan": _gan_cost, "vae": _vae_cost}


@dataclass(frozen=True)
class CostTable:
    models: tuple[ModelCost, ...]
    skipped: tuple[tuple[str, str], ...]  # (model, why it is not in the table)
    threads: int


def measure_costs(names: list[str] | None = None, reps: int = 5) -> CostTable:
    """Measure every shipped generator (or `names`), one torch thread, as a visitor's request runs."""
    root = pretrained_root()
    if names is None:
        names = sorted(p.parent.name for p in root.glob("*/config.json"))
    rows, skipped = [], []
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        for name in names:
            try:
                kind = _kind(name, read_config(name))
                if kind is None:
                    skipped.append((name, "not a generator"))
                    continue
                if name.startswith("bias_"):  # fine-tuned copies of the story GPT: the same network, the same cost
                    skipped.append((name, "the story GPT's network (same cost)"))
                    continue
                rows.append(MEASURE[kind](name, reps))
            except ModelLoadError as exc:
                skipped.append((name, str(exc)))
    finally:
        torch.set_num_threads(before)
    return CostTable(tuple(rows), tuple(skipped), 1)


def measured_flops_per_second(n: int = 384, reps: int = 5) -> float:
    """This machine's floating-point speed on one thread: a square float32 matrix product (2 n^3 operations)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        a = torch.randn(n, n, generator=torch.Generator().manual_seed(0))
        ms = _median_ms(lambda: a @ a, reps)
    finally:
        torch.set_num_threads(before)
    return 2 * n**3 / (ms / 1000)


# ---------------------------------------------------------------------------------------------
# A large language model, by arithmetic

SOURCES = {
    "flops": "Kaplan et al. 2020, Scaling Laws for Neural Language Models, arXiv:2001.08361, section 2.1 and "
    "table 1: a forward pass costs about 2 × (non-embedding parameters) floating-point operations per token",
    "llama2": "Touvron et al. 2023, Llama 2: Open Foundation and Fine-Tuned Chat Models, arXiv:2307.09288 "
    "(the 70-billion-parameter model)",
    "gpt3": "Brown et al. 2020, Language Models are Few-Shot Learners, arXiv:2005.14165 (175 billion parameters)",
    "h100": "NVIDIA H100 Tensor Core GPU datasheet (SXM): 80 GB of memory, about 3.35 TB/s memory bandwidth, "
    "about 990 trillion dense 16-bit operations per second",
}
GPU_FLOPS = 989e12  # H100 SXM, dense BF16 tensor-core peak (datasheet; the often-quoted 1,979 is with sparsity)
GPU_MEMORY_BYTES = 80e9
GPU_BANDWIDTH = 3.35e12  # bytes per second
BYTES_PER_PARAMETER = 2  # 16-bit weights


@dataclass(frozen=True)
class LargeModelCost:
    parameters: float
    answer_tokens: int
    flops_per_token: float  # 2 × parameters
    flops_per_answer: float
    weight_bytes: float
    gpus_to_hold_weights: int  # just to hold the weights, nothing else
    seconds_per_answer_here: float  # at this server's measured single-thread speed (if it could hold the weights)
    seconds_per_token_gpu_compute: float  # at the GPU's peak arithmetic, one answer at a time
    seconds_per_token_gpu_memory: float  # reading every weight once per token at full memory speed
    ratio_to_ours: float  # how many times our GPT's operations per token


def large_model_cost(
    parameters: float, answer_tokens: int, flops_per_second_here: float, our_parameters: int
) -> LargeModelCost:
    """The ≈ 2 × parameters rule, with the assumptions stated in each field: batch of one answer, 16-bit
    weights, attention's own cost left out (small next to 2 × parameters for short texts), peak speeds."""
    per_token = 2.0 * parameters
    weight_bytes = BYTES_PER_PARAMETER * parameters
    return LargeModelCost(
        parameters=parameters,
        answer_tokens=answer_tokens,
        flops_per_token=per_token,
        flops_per_answer=per_token * answer_tokens,
        weight_bytes=weight_bytes,
        gpus_to_hold_weights=int(np.ceil(weight_bytes / GPU_MEMORY_BYTES)),
        seconds_per_answer_here=per_token * answer_tokens / flops_per_second_here,
        seconds_per_token_gpu_compute=per_token / GPU_FLOPS,
        seconds_per_token_gpu_memory=weight_bytes / GPU_BANDWIDTH,
        ratio_to_ours=parameters / our_parameters,
    )
