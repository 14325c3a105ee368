"""Noise schedule and samplers for diffusion, kept apart from the network (as in diffusers).

Papers cited below:
- DDPM: Ho, Jain & Abbeel 2020, "Denoising Diffusion Probabilistic Models" (arXiv:2006.11239).
- DDIM: Song, Meng & Ermon 2021, "Denoising Diffusion Implicit Models" (arXiv:2010.02502).
- Cosine schedule: Nichol & Dhariwal 2021, "Improved Denoising Diffusion Probabilistic Models" (arXiv:2102.09672).

Notation: t = 0..T-1 indexes training timesteps; alpha_t = 1 - beta_t; alpha_bar_t = prod_{s<=t} alpha_s.
The schedulers hold only the fixed schedule (no per-request state), so one instance can be shared by every
visitor. `step()` takes the timestep it comes from and the one it goes to explicitly, and returns both the
next sample and the predicted clean image x0.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import torch


@dataclass(frozen=True)
class ScheduleConfig:
    num_train_timesteps: int = 200
    beta_schedule: str = "cosine"  # "cosine" (Nichol & Dhariwal eq. 17) or "linear" (Ho et al. sec. 4)
    beta_start: float = 1e-4  # linear only
    beta_end: float = 0.02  # linear only
    cosine_s: float = 0.008
    max_beta: float = 0.999
    clip_sample: bool = True  # clamp predicted x0 to [-1, 1], the data range

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> ScheduleConfig:
        return cls(**{k: v for k, v in values.items() if k in cls.__dataclass_fields__})


def make_betas(config: ScheduleConfig) -> torch.Tensor:
    T = config.num_train_timesteps
    if config.beta_schedule == "linear":
        return torch.linspace(config.beta_start, config.beta_end, T, dtype=torch.float64)
    if config.beta_schedule == "cosine":
        # Nichol & Dhariwal eq. 17: alpha_bar(t) = f(t) / f(0), f(t) = cos^2(((t/T + s) / (1 + s)) * pi/2);
        # beta_t = 1 - alpha_bar(t+1) / alpha_bar(t), clipped at max_beta.
        def f(t: float) -> float:
            return math.cos((t / T + config.cosine_s) / (1 + config.cosine_s) * math.pi / 2) ** 2

        betas = [min(1 - f(t + 1) / f(t), config.max_beta) for t in range(T)]
        return torch.tensor(betas, dtype=torch.float64)
    raise ValueError(f"unknown beta_schedule {config.beta_schedule!r}")


@dataclass(frozen=True)
class SchedulerOutput:
    prev_sample: torch.Tensor  # x_{t_prev}: the next, less noisy sample
    pred_original_sample: torch.Tensor  # predicted clean image x0 at this step


class NoiseSchedule:
    """The forward (noising) process. Shared by both samplers."""

    def __init__(self, config: ScheduleConfig | None = None) -> None:
        self.config = config or ScheduleConfig()
        self.betas = make_betas(self.config)  # (T,) float64 for accurate products
        self.alphas = 1.0 - self.betas
        self.alphas_cumprod = torch.cumprod(self.alphas, dim=0)  # alpha_bar_t
        self.num_train_timesteps = self.config.num_train_timesteps
        # Plain-float copies: a sampler step needs scalars, and tensor indexing per step costs more than the maths.
        self._ab = [1.0] + self.alphas_cumprod.tolist()  # _ab[t + 1] = alpha_bar_t, _ab[0] = 1 for t = -1
        self._beta = self.betas.tolist()

    def alpha_bar(self, t: int | torch.Tensor) -> torch.Tensor:
        """alpha_bar_t; t = -1 means 'before any noise' (alpha_bar = 1)."""
        t = torch.as_tensor(t)
        return torch.where(t >= 0, self.alphas_cumprod[t.clamp(min=0)], torch.ones((), dtype=torch.float64))

    def add_noise(self, x0: torch.Tensor, noise: torch.Tensor, t: int | torch.Tensor) -> torch.Tensor:
        """DDPM eq. 4 in closed form: x_t = sqrt(alpha_bar_t) x0 + sqrt(1 - alpha_bar_t) eps.

        `t` is an int or a (N,) tensor of per-image timesteps."""
        ab = self.alpha_bar(t).to(x0.dtype)
        ab = ab.view(-1, *([1] * (x0.ndim - 1))) if ab.ndim else ab  # (N, 1, 1, 1) to broadcast over pixels
        return ab.sqrt() * x0 + (1 - ab).sqrt() * noise

    def ab(self, t: int) -> float:
        """alpha_bar_t as a float (t = -1 gives 1)."""
        return self._ab[t + 1]

    def predict_x0(self, sample: torch.Tensor, eps: torch.Tensor, t: int) -> torch.Tensor:
        """Invert eq. 4 (DDPM eq. 15 / DDIM eq. 12's 'predicted x0'): x0 = (x_t - sqrt(1 - a_bar) eps) / sqrt(a_bar)."""
        ab = self.ab(t)
        x0 = (sample - math.sqrt(1 - ab) * eps) / math.sqrt(ab)
        return x0.clamp(-1, 1) if self.config.clip_sample else x0


class DDPMScheduler(NoiseSchedule):
    """Ancestral sampling, one step per training timestep (T steps)."""

    def timesteps(self, num_inference_steps: int | None = None) -> list[int]:
        """DDPM visits every timestep, T-1 down to 0 (num_inference_steps is accepted for symmetry, ignored)."""
        return list(range(self.num_train_timesteps - 1, -1, -1))

    def posterior_variance(self, t: int) -> float:
        """beta_tilde_t = (1 - alpha_bar_{t-1}) / (1 - alpha_bar_t) * beta_t (DDPM eq. 7)."""
        ab, ab_prev = self.ab(t), self.ab(t - 1)
        return (1 - ab_prev) / (1 - ab) * self._beta[t]

    def step(
        self,
        model_output: torch.Tensor,
        t: int,
        sample: torch.Tensor,
        generator: torch.Generator | None = None,
        noise: torch.Tensor | None = None,
    ) -> SchedulerOutput:
        """x_t -> x_{t-1} given the predicted noise eps.

        Uses the posterior mean of q(x_{t-1} | x_t, x0) with x0 predicted from eps (DDPM eqs. 6-7, 15),
        which equals eq. 11 when x0 is not clipped, plus sigma_t z with sigma_t^2 = beta_tilde_t."""
        ab, ab_prev = self.ab(t), self.ab(t - 1)
        beta = self._beta[t]
        alpha = 1.0 - beta
        x0 = self.predict_x0(sample, model_output, t)
        # DDPM eq. 7: mu_tilde = sqrt(a_bar_{t-1}) beta_t / (1 - a_bar_t) x0 + sqrt(alpha_t)(1 - a_bar_{t-1})/(1 - a_bar_t) x_t
        mean = (math.sqrt(ab_prev) * beta / (1 - ab)) * x0 + (math.sqrt(alpha) * (1 - ab_prev) / (1 - ab)) * sample
        if t > 0:
            if noise is None:
                noise = torch.randn(sample.shape, generator=generator, dtype=sample.dtype)
            mean = mean + math.sqrt(self.posterior_variance(t)) * noise
        return SchedulerOutput(prev_sample=mean, pred_original_sample=x0)


class DDIMScheduler(NoiseSchedule):
    """Few-step sampling that skips timesteps (deterministic when eta = 0)."""

    def timesteps(self, num_inference_steps: int) -> list[int]:
        """Evenly spaced training timesteps, high to low, always ending at t = 0 ("trailing" spacing from the top)."""
        n = int(max(1, min(num_inference_steps, self.num_train_timesteps)))
        ts = torch.linspace(self.num_train_timesteps - 1, 0, n).round().long().tolist()
        return sorted(set(ts), reverse=True)

    def step(
        self,
        model_output: torch.Tensor,
        t: int,
        sample: torch.Tensor,
        prev_t: int,
        eta: float = 0.0,
        generator: torch.Generator | None = None,
        noise: torch.Tensor | None = None,
    ) -> SchedulerOutput:
        """x_t -> x_{prev_t} (prev_t = -1 means the final clean image). DDIM eq. 12:

        x_prev = sqrt(a_prev) x0_pred + sqrt(1 - a_prev - sigma^2) eps + sigma z,
        sigma = eta * sqrt((1 - a_prev) / (1 - a_t)) * sqrt(1 - a_t / a_prev)   (DDIM eq. 16).
        With eta = 1 and consecutive timesteps this is exactly the DDPM step."""
        ab, ab_prev = self.ab(t), self.ab(prev_t)
        x0 = self.predict_x0(sample, model_output, t)
        # Re-derive eps from the (possibly clipped) x0 so the step stays consistent, as diffusers does.
        eps = (sample - math.sqrt(ab) * x0) / math.sqrt(1 - ab)
        sigma = eta * math.sqrt((1 - ab_prev) / (1 - ab)) * math.sqrt(1 - ab / ab_prev)
        prev = math.sqrt(ab_prev) * x0 + math.sqrt(max(1 - ab_prev - sigma**2, 0.0)) * eps
        if sigma > 0:
            if noise is None:
                noise = torch.randn(sample.shape, generator=generator, dtype=sample.dtype)
            prev = prev + sigma * noise
        return SchedulerOutput(prev_sample=prev, pred_original_sample=x0)
