"""Class-conditional denoisers with classifier-free guidance, and the sampling loop.

Two networks answer the same question: "given this noisy image x_t, the timestep t and the kind of picture asked
for, what noise was added?" (eps-prediction, DDPM eq. 14): a tiny MLP for 8x8 digits (`Denoiser`, below) and a
small U-Net for 28x28 clothes (`explainers.unet.UNet`). Both expose `conditions(t, labels)` and
`denoise(x, conds)`, so one sampling loop serves both. The schedule and the samplers live in
explainers/diffusion_scheduler.py. Images here are (N, 1, S, S) in [-1, 1]; convert with
explainers.digits.to_unit before showing them or asking the judge.

Classifier-free guidance (Ho & Salimans 2022, arXiv:2207.12598): during training the digit label is replaced
by a "null" label (index 10) some of the time, so one network learns both p(x | kind) and p(x). At sampling,
    eps = eps(x_t, null) + w * (eps(x_t, kind) - eps(x_t, null))
w = 1 is plain conditioning; larger w pushes harder towards the requested kind.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from explainers.diffusion_scheduler import DDIMScheduler, DDPMScheduler, ScheduleConfig
from explainers.store import load_model
from explainers.unet import UNet, build_unet, timestep_embedding

NULL_CLASS = 10
DEFAULT_ARCHITECTURE: dict[str, Any] = {"pixels": 64, "hidden": 256, "blocks": 3, "time_dim": 64, "num_classes": 10}
DEFAULT_GUIDANCE = 2.0
MAX_STEPS = 1000  # compute cap per request
MAX_BATCH = 64


class ResBlock(nn.Module):
    """LayerNorm -> Linear -> SiLU -> Linear, with the condition added in the middle, plus a skip."""

    def __init__(self, hidden: int) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(hidden)
        self.fc1 = nn.Linear(hidden, hidden)
        self.cond = nn.Linear(hidden, hidden)
        self.fc2 = nn.Linear(hidden, hidden)

    def forward(self, h: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        """`cond` is this block's projection of the condition, self.cond(c), computed by Denoiser.conditions."""
        u = F.silu(self.fc1(self.norm(h)) + cond)
        return h + self.fc2(u)


class Denoiser(nn.Module):
    """eps_theta(x_t, t, digit): MLP over the 64 pixels. Input (N, 1, 8, 8), t (N,), labels (N,) in 0..10."""

    def __init__(
        self, pixels: int = 64, hidden: int = 256, blocks: int = 3, time_dim: int = 64, num_classes: int = 10
    ) -> None:
        super().__init__()
        self.time_dim = time_dim
        self.time_mlp = nn.Sequential(nn.Linear(time_dim, hidden), nn.SiLU(), nn.Linear(hidden, hidden))
        self.label_emb = nn.Embedding(num_classes + 1, hidden)  # +1: the null label for guidance
        self.inp = nn.Linear(pixels, hidden)
        self.blocks = nn.ModuleList([ResBlock(hidden) for _ in range(blocks)])
        self.out_norm = nn.LayerNorm(hidden)
        self.out = nn.Linear(hidden, pixels)

    def conditions(self, t: torch.Tensor, labels: torch.Tensor) -> list[torch.Tensor]:
        """What the network is told besides the image: timestep + digit, projected for each block, each (N, hidden).

        It does not depend on x_t, so a sampler can compute it for every step in one batch up front."""
        c = F.silu(self.time_mlp(timestep_embedding(t, self.time_dim)) + self.label_emb(labels))  # (N, hidden)
        return [block.cond(c) for block in self.blocks]

    def denoise(self, x: torch.Tensor, conds: list[torch.Tensor]) -> torch.Tensor:
        h = self.inp(x.flatten(1))  # (N, 1, 8, 8) -> (N, 64) -> (N, hidden)
        for block, cond in zip(self.blocks, conds, strict=True):
            h = block(h, cond)
        return self.out(F.silu(self.out_norm(h))).view_as(x)  # (N, 64) -> (N, 1, 8, 8)

    def forward(self, x: torch.Tensor, t: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return self.denoise(x, self.conditions(t, labels))


def build_denoiser(architecture: dict[str, Any] | None = None) -> Denoiser | UNet:
    """The network an architecture describes: `"kind": "unet"` (clothes) or the MLP (digits, the default)."""
    arch = architecture or DEFAULT_ARCHITECTURE
    if arch.get("kind", "mlp") == "unet":
        return build_unet(arch)
    return Denoiser(
        pixels=arch["pixels"],
        hidden=arch["hidden"],
        blocks=arch["blocks"],
        time_dim=arch["time_dim"],
        num_classes=arch["num_classes"],
    )


@dataclass(frozen=True)
class DiffusionModel:
    """The shipped network plus its schedule. Read-only: safe to share between sessions."""

    net: Denoiser | UNet
    schedule: ScheduleConfig
    default_guidance: float
    ddpm: DDPMScheduler
    ddim: DDIMScheduler
    image_size: int = 8  # pictures are (1, image_size, image_size)


def image_size_of(net: Denoiser | UNet) -> int:
    return net.image_size if isinstance(net, UNet) else int(round(net.inp.in_features**0.5))


def make_model(
    net: Denoiser | UNet, schedule: ScheduleConfig, default_guidance: float = DEFAULT_GUIDANCE
) -> DiffusionModel:
    if isinstance(net, UNet):
        # Measured on one core: the U-Net's convolutions run about 15% faster with channels-last weights.
        net = net.to(memory_format=torch.channels_last)
    return DiffusionModel(
        net=net.eval(),
        schedule=schedule,
        default_guidance=default_guidance,
        ddpm=DDPMScheduler(schedule),
        ddim=DDIMScheduler(schedule),
        image_size=image_size_of(net),
    )


def load_diffusion(name: str = "diffusion") -> DiffusionModel:
    """A shipped denoiser + schedule: "diffusion" (digits), "fashion_diffusion", "fashion_diffusion_tiny".
    Raises explainers.store.ModelLoadError on missing/damaged weights."""
    loaded = load_model(name)
    net = build_denoiser(loaded.config["architecture"])
    net.load_state_dict(loaded.tensors)
    arch = loaded.config["architecture"]  # the schedule and default guidance are stored beside the network shape
    return make_model(
        net, ScheduleConfig.from_dict(arch["schedule"]), float(arch.get("default_guidance", DEFAULT_GUIDANCE))
    )


def guided_eps(
    net: Denoiser | UNet,
    x: torch.Tensor,
    t: int,
    labels: torch.Tensor,
    guidance: float,
    conds: list[torch.Tensor] | None = None,
) -> torch.Tensor:
    """Classifier-free guidance: one batched pass for the requested kind and for the null label.

    `conds` (optional) are net.conditions(...) for this step's 2N rows, precomputed by the sampler."""
    n = x.shape[0]
    if conds is None:
        tt = torch.full((2 * n,), t, dtype=torch.long)
        conds = net.conditions(tt, torch.cat([labels, torch.full_like(labels, NULL_CLASS)]))
    both = net.denoise(torch.cat([x, x]), conds)  # (2N, 1, S, S): rows 0..N-1 with the label, N..2N-1 without
    eps_cond, eps_null = both[:n], both[n:]
    return eps_null + guidance * (eps_cond - eps_null)


@dataclass(frozen=True)
class Trajectory:
    """One reverse-process run. Arrays are numpy, images in [-1, 1].

    With record=True, entry k shows the state *at* step k: x_t before denoising, the predicted noise and the
    predicted clean image; `samples` is the final result after the last step."""

    sampler: str
    timesteps: np.ndarray  # (S,) training timestep of each step, high to low
    labels: np.ndarray  # (N,)
    x_t: np.ndarray | None  # (S, N, H, W)
    eps: np.ndarray | None  # (S, N, H, W)
    x0_pred: np.ndarray | None  # (S, N, H, W)
    samples: np.ndarray  # (N, H, W) final images


def sample(
    model: DiffusionModel,
    labels: list[int] | np.ndarray | torch.Tensor,
    seed: int,
    guidance: float | None = None,
    sampler: str = "ddpm",
    steps: int = 20,
    record: bool = False,
    eta: float = 0.0,
) -> Trajectory:
    """Generate one image per label (at most MAX_BATCH), from pure noise drawn with `seed`.
    sampler: "ddpm" (all T steps) or "ddim" (`steps` steps). Raises ValueError (plain message) on bad input."""
    labels_t = torch.as_tensor(np.asarray(labels), dtype=torch.long).view(-1)
    if labels_t.numel() > MAX_BATCH:
        raise ValueError(
            f"Too many pictures at once: {labels_t.numel()} were asked for, at most {MAX_BATCH} per run. "
            "Ask for fewer, or make several runs."
        )
    if labels_t.numel() == 0 or int(labels_t.min()) < 0 or int(labels_t.max()) > NULL_CLASS:
        raise ValueError("labels must be kinds 0-9 (or 10 for 'no kind')")
    guidance = model.default_guidance if guidance is None else float(guidance)
    gen = torch.Generator().manual_seed(int(seed))
    n = labels_t.shape[0]
    size = model.image_size
    x = torch.randn(n, 1, size, size, generator=gen)
    if sampler == "ddpm":
        ts = model.ddpm.timesteps()
    elif sampler == "ddim":
        ts = model.ddim.timesteps(int(np.clip(steps, 1, MAX_STEPS)))
    else:
        raise ValueError(f"unknown sampler {sampler!r}")
    xs, epss, x0s = [], [], []
    with torch.inference_mode():
        # The condition (timestep + kind) does not depend on the image: compute it for all steps in one batch.
        both_labels = torch.cat([labels_t, torch.full_like(labels_t, NULL_CLASS)])  # (2N,)
        t_all = torch.tensor(ts, dtype=torch.long).repeat_interleave(2 * n)  # (S * 2N,)
        every_step = model.net.conditions(t_all, both_labels.repeat(len(ts)))  # each (S * 2N, ...)
        conds = [c.view(len(ts), 2 * n, *c.shape[1:]) for c in every_step]  # each (S, 2N, ...)
        for i, t in enumerate(ts):
            # c[i] is step i's condition for the 2N rows; the guided noise is shaped like the image, (N, 1, S, S).
            eps = guided_eps(model.net, x, t, labels_t, guidance, conds=[c[i] for c in conds])
            if sampler == "ddpm":
                out = model.ddpm.step(eps, t, x, generator=gen)
            else:
                prev_t = ts[i + 1] if i + 1 < len(ts) else -1
                out = model.ddim.step(eps, t, x, prev_t, eta=eta, generator=gen)
            if record:
                xs.append(x[:, 0])
                epss.append(eps[:, 0])
                x0s.append(out.pred_original_sample[:, 0])
            x = out.prev_sample
    final = x.clamp(-1, 1)[:, 0].numpy()
    stack = (lambda items: torch.stack(items).numpy()) if record else (lambda items: None)
    return Trajectory(
        sampler=sampler,
        timesteps=np.asarray(ts),
        labels=labels_t.numpy(),
        x_t=stack(xs),
        eps=stack(epss),
        x0_pred=stack(x0s),
        samples=final,
    )


def closeness_to_final(trajectory: Trajectory, image: int = 0) -> np.ndarray:
    """(S,) for one image of a recorded run: how closely the predicted clean image at each step already matches
    the final picture. 1 = identical; 0 = every pixel at the opposite end of [-1, 1] (1 - mean |difference| / 2)."""
    if trajectory.x0_pred is None:
        raise ValueError("the trajectory was not recorded (call sample(..., record=True))")
    guesses = trajectory.x0_pred[:, image]  # (S, H, W)
    final = trajectory.samples[image][None]  # (1, H, W)
    return 1.0 - np.abs(guesses - final).mean(axis=(1, 2)) / 2.0


def schedule_curves(model: DiffusionModel) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Timesteps (T,), sqrt(alpha_bar_t) (how much of the picture is left) and sqrt(1 - alpha_bar_t) (how much
    noise is mixed in), for the model's training schedule."""
    ab = model.ddpm.alphas_cumprod.numpy()
    return np.arange(len(ab)), np.sqrt(ab), np.sqrt(1.0 - ab)


@dataclass(frozen=True)
class ForwardProcess:
    timesteps: np.ndarray  # (K,)
    images: np.ndarray  # (K, H, W) x_t in [-1, 1]
    signal: np.ndarray  # (K,) sqrt(alpha_bar_t): how much of the picture is left
    noise: np.ndarray  # (K,) sqrt(1 - alpha_bar_t): how much noise is mixed in


def forward_process(model: DiffusionModel, image: torch.Tensor, timesteps: list[int], seed: int) -> ForwardProcess:
    """Noise one image (1, S, S) in [-1, 1] to each requested timestep with the SAME noise draw."""
    gen = torch.Generator().manual_seed(int(seed))
    size = model.image_size
    x0 = image.reshape(1, 1, size, size).float()  # any (S, S)-sized layout -> (1, 1, S, S)
    noise = torch.randn(x0.shape, generator=gen)
    ts = [int(np.clip(t, 0, model.schedule.num_train_timesteps - 1)) for t in timesteps]
    images = torch.cat([model.ddpm.add_noise(x0, noise, t) for t in ts])[:, 0]
    ab = model.ddpm.alphas_cumprod[ts]
    return ForwardProcess(
        timesteps=np.asarray(ts), images=images.numpy(), signal=ab.sqrt().numpy(), noise=(1 - ab).sqrt().numpy()
    )
