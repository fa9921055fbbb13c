"""How far to trust the prior: gates in (0, 1) that scale each SEM's cross-attention contribution.

DeepSPG's authors name as a limit that the pretrained prior fails in extremely dark, noisy scenes and propose dynamic
prior weighting as future work; these gates are that idea made measurable. Three modes (enhancer option ``gate``):

* ``'none'`` — no gate: the SEM exactly as before (same parameters, same outputs).
* ``'static'`` — one learned scalar per SEM scale, ``sigmoid(θ)``, the same for every image.
* ``'dynamic'`` — one value per image and scale, predicted by a tiny MLP from three statistics of the model's own
  inputs (:func:`trust_statistics`): the low-light input's mean luminance and estimated noise level, and the prior's
  confidence (max-softmax of its logits, else a feature-contrast proxy). The statistics are detached: the gate learns
  *whether* to trust the prior, it cannot make the prior or the input look more trustworthy.

Both learned gates start open at ``gate_init`` (default 0.9): the gated network begins close to the ungated one, and
the sigmoid is not yet saturated (its slope at 0.9 is 0.09), so training can still close a gate.
"""
from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from llie.errors import ConfigError
from llie.interfaces import PriorFeatures
from llie.metrics.image_stats import mean_luminance, noise_sigma
from llie.prior_confidence import prior_confidence

GATE_MODES = ("none", "static", "dynamic")
#: the statistics a dynamic gate reads, in the order of its input vector (also the per-image column names)
STATISTICS = ("input_brightness", "input_noise", "prior_confidence")
DEFAULT_GATE_INIT = 0.9
HIDDEN = 16
#: floors of the log transforms: 1e-3 is darker than any benchmark image's mean, 1e-4 below 8-bit quantisation noise
_BRIGHTNESS_FLOOR, _NOISE_FLOOR = 1e-3, 1e-4


def check_gate(mode: str, init: float, owner: str) -> None:
    if mode not in GATE_MODES:
        raise ConfigError(f"{owner} gate '{mode}' is unknown; use one of {GATE_MODES}")
    if not 0.0 < float(init) < 1.0:
        raise ConfigError(f"{owner} gate_init must lie strictly between 0 and 1, got {init}")


def logit(p: float) -> float:
    return math.log(p / (1.0 - p))


@torch.no_grad()
def trust_statistics(low: Tensor, prior: PriorFeatures) -> dict[str, Tensor]:
    """``{name: Tensor[B]}`` for :data:`STATISTICS`, float32, detached (prior confidence 0 when it has no output)."""
    low = low.detach()
    confidence = prior_confidence(prior)
    if confidence is None:
        confidence = low.new_zeros(low.shape[0], dtype=torch.float32)
    return {"input_brightness": mean_luminance(low).float(), "input_noise": noise_sigma(low).float(),
            "prior_confidence": confidence.float().to(low.device)}


def gate_features(stats: dict[str, Tensor]) -> Tensor:
    """``B×3`` MLP input: log10 brightness, log10 noise (both span decades in the dark), confidence as is."""
    return torch.stack([torch.log10(stats["input_brightness"].clamp_min(0) + _BRIGHTNESS_FLOOR),
                        torch.log10(stats["input_noise"].clamp_min(0) + _NOISE_FLOOR),
                        stats["prior_confidence"]], dim=1)


class StaticGate(nn.Module):
    """One learned scalar ``sigmoid(θ)``, the same for every image; ``forward(batch) -> Tensor[batch]``."""

    def __init__(self, init: float = DEFAULT_GATE_INIT) -> None:
        super().__init__()
        self.theta = nn.Parameter(torch.tensor(logit(init)))

    def forward(self, batch: int) -> Tensor:
        return torch.sigmoid(self.theta).expand(batch)


class DynamicGate(nn.Module):
    """Statistics → one gate per SEM scale: ``Linear(3, 16) → GELU → Linear(16, n)`` → sigmoid.

    The last layer starts with small weights (default init × 0.1) and bias ``logit(init)``: every gate starts near
    ``init`` yet already depends on the statistics, so gradients reach the first layer from the first step.
    """

    def __init__(self, scales: int, init: float = DEFAULT_GATE_INIT, hidden: int = HIDDEN) -> None:
        super().__init__()
        self.mlp = nn.Sequential(nn.Linear(len(STATISTICS), hidden), nn.GELU(), nn.Linear(hidden, scales))
        with torch.no_grad():
            self.mlp[2].weight.mul_(0.1)
            self.mlp[2].bias.fill_(logit(init))

    def forward(self, stats: dict[str, Tensor]) -> Tensor:
        """``B×scales`` gates in (0, 1)."""
        features = gate_features(stats).to(self.mlp[0].weight.dtype)
        return torch.sigmoid(self.mlp(features))
