"""Synthetic-to-real consistency: a self-supervised term for real low-light photos without ground truth.

The enhancer ``f`` learns the inverse of llie's synthetic degradation ``D`` (:func:`llie.data.darken_batch`: random
gamma, gain, colour cast, shot + read noise) from clean photos, and is then asked to work on real photos, whose
content (indoor scenes, real illuminants and materials) and darkness differ from the clean photos'. This term brings
the real photos into training without pairs:

    y  = f(x_real)                  (the model's own enhancement, detached: a pseudo-clean image of a real scene)
    x' = D(y)                       (re-darkened with freshly drawn synthetic parameters)
    loss = weight · ρ(f(x') − y)    (ρ: L1 / Charbonnier / L2, a mean over pixels)

Gradients flow only through the second enhancement ``f(x')``; ``y`` is a fixed target, so the term cannot lower itself
by moving ``y``. It asks ``f ∘ D`` to be the identity on enhanced real scenes: the synthetic pairs teach that only on
the clean photos, and this extends the same synthetic supervision to the real photos' content and brightness range.

Why it can help colour on real photos: a systematic bias of ``f`` on real content — e.g. pulling indoor scenes
towards the gray or the hue balance of the outdoor clean photos (washed-out colours) — shows up in ``f(x')`` too and is
penalised against ``y``, which keeps the colour the model itself recovered from the real input. Re-darkening ``y``
rather than the real input keeps the pair exactly consistent with ``D``, whose parameters are known.

What can go wrong, and what prevents it:

* Collapse to a constant image (``f ≡ c`` gives ``f(x') = c = y``, zero loss): ``y`` is detached, and the paired
  synthetic loss on the same batches pins ``f`` to a real inverse of ``D``; the consistency weight must stay well
  below the pixel loss's. The identity is no minimiser (``f(x') = x' = D(y) ≠ y``).
* Confirmation bias: ``y`` carries ``f``'s errors on real photos (residual real noise, a wrong white balance), and the
  term teaches ``f`` to keep them stable rather than to correct them. It cannot teach what real degradations look
  like — ``D`` stays the synthetic model — so a gap between ``D`` and real darkening (e.g. real noise, or how real
  darkness changes chroma) is not closed by it; only the real photos' content is added.
* Cost: one more forward and backward pass of ``f`` on the real samples per step.

The darkening parameters follow ``darken_options`` (the keyword arguments of :func:`llie.data.darken_batch`; default
the synthetic pairs' ranges), drawn from torch's global generator on the batch's device, so a run's seed fixes them.
"""
from __future__ import annotations

from typing import Any

from torch import Tensor

from llie.data import darken_batch
from llie.errors import ConfigError
from llie.interfaces import Loss, LossContext

from .penalties import check_kind, penalty

DARKEN_OPTIONS = ("gamma_range", "gain_range", "shot_noise", "read_noise", "color_cast")
#: what is darkened → the default darkening: the enhancement gets the synthetic pairs' full ranges (it is a clean
#: image); the real input, already dark, a milder darkening on top of its own
DEGRADE: dict[str, dict[str, Any]] = {
    "enhanced": {},
    "input": {"gamma_range": (1.0, 1.3), "gain_range": (0.4, 1.0), "shot_noise": (0.0, 0.01),
              "read_noise": (0.0, 0.005), "color_cast": 0.05},
}


class SyntheticToRealConsistencyLoss(Loss):
    """``weight · ρ(f(D(sg f(x))) − sg f(x))`` on images without ground truth; see the module docstring.

    kind: the penalty ρ (``l1``, ``charbonnier``, ``l2``); eps: Charbonnier's ε; darken_options: the synthetic
    degradation's ranges (:func:`llie.data.darken_batch` keyword arguments).
    """

    name = "s2r_consistency"
    needs_target = False

    def __init__(self, weight: float = 0.5, kind: str = "charbonnier", eps: float = 1e-3, degrade: str = "enhanced",
                 darken_options: dict[str, Any] | None = None, name: str | None = None) -> None:
        super().__init__(weight, name)
        self.kind = check_kind(kind, "SyntheticToRealConsistencyLoss")
        self.eps = float(eps)
        if degrade not in DEGRADE:
            raise ConfigError(f"SyntheticToRealConsistencyLoss: degrade '{degrade}' is not one of "
                              f"{', '.join(DEGRADE)}")
        self.degrade = degrade
        self.darken_options = {**DEGRADE[degrade], **(darken_options or {})}
        unknown = [k for k in self.darken_options if k not in DARKEN_OPTIONS]
        if unknown:
            raise ConfigError(f"SyntheticToRealConsistencyLoss: unknown darken option '{unknown[0]}'; known: "
                              f"{', '.join(DARKEN_OPTIONS)}")

    def forward(self, pred: Tensor, target: Tensor | None = None, ctx: LossContext | None = None) -> Tensor:
        if ctx is None or ctx.enhance is None:
            raise ConfigError("SyntheticToRealConsistencyLoss needs the model's enhancement (LossContext.enhance), "
                              "which SemanticPriorModel sets in loss mode")
        pseudo = pred.detach().clamp(0.0, 1.0)
        darker = darken_batch(pseudo if self.degrade == "enhanced" else ctx.low, **self.darken_options)
        return self.weight * penalty(ctx.enhance(darker) - pseudo, self.kind, self.eps)
