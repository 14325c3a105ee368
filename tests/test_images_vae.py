"""VAE: reparameterisation, loss terms, explain functions, uploads, determinism and the shipped quality bar."""

from __future__ import annotations

from io import BytesIO

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image, ImageDraw

from explainers.digits import BadImageError, image_from_cells, image_from_upload, split
from explainers.judge import judge_report, load_judge
from explainers.store import load_model
from explainers.vae import (
    VAE,
    decode_points,
    encode_images,
    grid_axis,
    interpolate,
    latent_grid,
    load_vae,
    loss_terms,
    sample_prior,
)


def _tiny() -> VAE:
    torch.manual_seed(0)
    return VAE(hidden=(16, 8)).eval()


def test_reparameterize_is_mu_plus_sigma_eps_and_differentiable() -> None:
    vae = _tiny()
    mu = torch.tensor([[0.5, -1.0]], requires_grad=True)
    logvar = torch.tensor([[float(np.log(4.0)), 0.0]], requires_grad=True)
    eps = torch.tensor([[1.0, -2.0]])
    z = vae.reparameterize(mu, logvar, eps)
    assert torch.allclose(z, torch.tensor([[0.5 + 2.0, -1.0 - 2.0]]))
    z.sum().backward()
    assert torch.allclose(mu.grad, torch.ones(1, 2))  # gradient reaches the mean...
    assert torch.allclose(logvar.grad, torch.tensor([[0.5 * 2.0 * 1.0, 0.5 * 1.0 * -2.0]]))  # ...and the spread
    assert torch.equal(vae.reparameterize(mu, logvar, torch.zeros(1, 2)), mu)


def test_kl_term_matches_closed_form_and_monte_carlo() -> None:
    x = split().train_images[:4]
    logits = torch.zeros(4, 1, 8, 8)
    zero = loss_terms(x, logits, torch.zeros(4, 2), torch.zeros(4, 2))
    assert torch.allclose(zero.kl, torch.zeros(4))  # q = prior -> KL 0
    mu, logvar = torch.tensor([[1.0, -0.5]]), torch.tensor([[0.3, -0.7]])
    kl = loss_terms(x[:1], logits[:1], mu, logvar).kl
    # Monte Carlo estimate of KL(q || p) = E_q[log q(z) - log p(z)].
    gen = torch.Generator().manual_seed(0)
    sigma = torch.exp(0.5 * logvar)
    z = mu + sigma * torch.randn(200_000, 2, generator=gen)
    q = torch.distributions.Normal(mu, sigma)
    p = torch.distributions.Normal(torch.zeros(2), torch.ones(2))
    mc = (q.log_prob(z) - p.log_prob(z)).sum(1).mean()
    assert kl.item() == pytest.approx(mc.item(), abs=0.02)
    assert kl.item() == pytest.approx(0.5 * (1 + 0.25 + np.exp(0.3) + np.exp(-0.7) - 2 - 0.3 + 0.7), rel=1e-5)


def test_recon_term_is_summed_binary_cross_entropy() -> None:
    x = split().train_images[:3]
    logits = torch.randn(3, 1, 8, 8, generator=torch.Generator().manual_seed(1))
    terms = loss_terms(x, logits, torch.zeros(3, 2), torch.zeros(3, 2))
    manual = -(x * F.logsigmoid(logits) + (1 - x) * F.logsigmoid(-logits)).flatten(1).sum(1)
    assert torch.allclose(terms.recon, manual, atol=1e-5)
    assert torch.all(terms.recon > 0)


def test_explain_functions_shapes_and_determinism() -> None:
    vae = _tiny()
    grid = latent_grid(vae, size=5)
    assert grid.images.shape == (5, 5, 8, 8) and grid.z.shape == (5, 5, 2)
    assert grid.z[0, 0, 1] > grid.z[-1, 0, 1]  # top row = high z2
    assert np.all(np.diff(grid_axis(5)) > 0)
    images = split().heldout_images[:6]
    enc = encode_images(vae, images)
    assert enc.mu.shape == (6, 2) and enc.reconstruction.shape == (6, 8, 8) and np.all(enc.kl_nats >= 0)
    assert np.allclose(decode_points(vae, enc.mu), enc.reconstruction, atol=1e-6)
    walk = interpolate(vae, images[0], images[1], steps=7)
    assert walk.images.shape == (7, 8, 8) and np.allclose(walk.z[0], enc.mu[0], atol=1e-6)
    assert torch.equal(sample_prior(vae, 4, seed=3), sample_prior(vae, 4, seed=3))
    assert not torch.equal(sample_prior(vae, 4, seed=3), sample_prior(vae, 4, seed=4))


def _png(draw_fn, size=(120, 160), mode="L", background=255) -> bytes:
    img = Image.new(mode, size, background)
    draw_fn(ImageDraw.Draw(img))
    buf = BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def test_upload_validation() -> None:
    one = image_from_upload(_png(lambda d: d.line((60, 20, 60, 140), fill=0, width=14)))
    assert one.shape == (1, 1, 8, 8) and one.max() == 1.0 and one.min() >= 0
    assert one[0, 0, :, 3:5].sum() > one[0, 0, :, :2].sum()  # ink lands in the middle columns
    # Dark background with light ink works too.
    inverted = image_from_upload(_png(lambda d: d.line((60, 20, 60, 140), fill=255, width=14), background=0))
    assert torch.allclose(inverted, one, atol=0.05)
    for bad, words in [
        (b"", "empty"),
        (b"not an image at all", "not a picture"),
        (_png(lambda d: None), "blank"),
        (b"x" * (3 * 1024 * 1024), "too large"),
    ]:
        with pytest.raises(BadImageError, match=words):
            image_from_upload(bad)
    with pytest.raises(BadImageError):
        image_from_cells(np.zeros((8, 8)))
    assert image_from_cells(np.eye(8)).shape == (1, 1, 8, 8)


@pytest.mark.quality
def test_shipped_vae_meets_bar() -> None:
    vae, judge = load_vae(), load_judge()
    grid = latent_grid(vae)
    report = judge_report(judge, torch.from_numpy(grid.images).reshape(-1, 1, 8, 8))
    assert len(report.confident_classes(0.8)) >= 9
    assert load_model("vae").config["metrics"]["grid_classes_confident"] >= 9
    # Reconstructions are still readable digits for the judge.
    data = split()
    enc = encode_images(vae, data.heldout_images)
    recon = judge_report(judge, torch.from_numpy(enc.reconstruction)[:, None])
    assert recon.accuracy(data.heldout_labels) >= 0.8
