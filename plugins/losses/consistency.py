"""Synthetic-to-real consistency: a self-supervised term for real low-light photos without ground truth.

The enhancer ``f`` learns the inverse of llie's synthetic degradation ``D`` (:func:`llie.data.darken_batch`: random
gamma, gain, colour cast, shot + read noise) from clean photos, and is then asked to work on real photos, whose
content and degradation differ. The synthetic pairs teach one property above all: *every* degradation of a scene maps
back to the same clean scene. This term asks for the same property on real photos, where the clean scene is unknown,
by comparing two enhancements of one real photo ``x``::

    y    = f(x)                       the model's own enhancement, detached (a fixed pseudo-target)
    x'   = D(y)   (degrade: enhanced)  the enhancement re-darkened with freshly drawn synthetic parameters, or
    x'   = D(x)   (degrade: input)     the real photo itself degraded a little further (exposure up or down, a colour
                                       cast, a little noise: milder default ranges, see :data:`DEGRADE`)
    loss = weight · ρ(f(x') − y)       ρ: L1 / Charbonnier / L2, a mean over pixels

Gradients flow only through the second enhancement ``f(x')``: ``y`` is a fixed target, so the term cannot lower
itself by moving ``y``.

* ``degrade: enhanced`` asks ``f ∘ D`` to be the identity on enhanced real scenes — the synthetic supervision
  extended to the real photos' content (indoor scenes, real illuminants). Its pairs are exactly consistent with ``D``
  (the re-darkened image is a synthetic low-light image of a known clean one), but they carry no information about how
  real darkening differs from ``D``: a colour or brightness error ``f`` makes on real inputs is in ``y`` and is kept.
* ``degrade: input`` asks ``f`` to be invariant to a further change of exposure, colour cast and noise of the *real*
  input, i.e. to infer brightness and colour from the scene rather than from the input's exposure and cast — what
  the synthetic pairs teach (their gains and casts are drawn independently of the photo), imposed on real degradations.
  It is where real photos can correct ``f``: LOL's well-lit references are about equally bright whatever the input's
  exposure, while a synthetic-only model makes darker inputs darker outputs.

What can go wrong, and what prevents it:

* Collapse to a constant image (``f ≡ c`` gives zero loss): ``y`` is detached and the paired synthetic loss in the
  same batches pins ``f`` to a real inverse of ``D``; the weight must stay well below the pixel loss's. The identity
  is no minimiser of the ``enhanced`` variant (``f(x') = D(y) ≠ y``).
* Drift: a one-sided perturbation of the input (only darker) teaches "darker input → the brighter input's output"
  with nothing anchoring the real outputs' level; the outputs brighten round after round (seen on LOL: mean level
  0.72 against the references' 0.56 after 400 steps). The ``input`` defaults are therefore two-sided (gain
  0.6–1.6, about balanced in log-exposure), with symmetric casts.
* Confirmation bias: ``y`` carries ``f``'s errors on real photos (residual real noise, a wrong white balance) and the
  term teaches ``f`` to reproduce them; it can only make ``f`` consistent, not correct by itself.
* Cost: one more forward and backward pass of ``f`` on the real samples per step.

Degradation parameters are drawn from torch's global generator on the batch's device, so a run's seed fixes them
(a resumed run draws afresh from the seed).
"""
from __future__ import annotations

from typing import Any

from torch import Tensor

from llie.data import darken_batch
from llie.errors import ConfigError
from llie.interfaces import Loss, LossContext

from .penalties import check_kind, penalty

DARKEN_OPTIONS = ("gamma_range", "gain_range", "shot_noise", "read_noise", "color_cast")
#: what is degraded → its default degradation (``darken_options`` override single keys): the enhancement, a clean
#: image, gets the synthetic pairs' full ranges; the real input, already dark and noisy, a milder two-sided change
DEGRADE: dict[str, dict[str, Any]] = {
    "enhanced": {},
    "input": {"gamma_range": 1.0, "gain_range": (0.6, 1.6), "shot_noise": (0.0, 0.005),
              "read_noise": (0.0, 0.003), "color_cast": 0.1},
}


class SyntheticToRealConsistencyLoss(Loss):
    """``weight · ρ(f(x') − sg f(x))`` on images without ground truth, ``x'`` a synthetic degradation of the
    enhancement (``degrade: enhanced``) or of the input (``degrade: input``); see the module docstring.

    kind: the penalty ρ (``l1``, ``charbonnier``, ``l2``); eps: Charbonnier's ε; darken_options: the degradation's
    ranges (:func:`llie.data.darken_batch` keyword arguments), over the mode's defaults.
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
        unknown = [k for k in (darken_options or {}) if k not in DARKEN_OPTIONS]
        if unknown:
            raise ConfigError(f"SyntheticToRealConsistencyLoss: unknown darken option '{unknown[0]}'; known: "
                              f"{', '.join(DARKEN_OPTIONS)}")
        self.darken_options = {**DEGRADE[degrade], **(darken_options or {})}

    def forward(self, pred: Tensor, target: Tensor | None = None, ctx: LossContext | None = None) -> Tensor:
        if ctx is None or ctx.enhance is None:
            raise ConfigError("SyntheticToRealConsistencyLoss needs the model's enhancement (LossContext.enhance), "
                              "which SemanticPriorModel sets in loss mode")
        pseudo = pred.detach().clamp(0.0, 1.0)
        degraded = darken_batch(pseudo if self.degrade == "enhanced" else ctx.low, **self.darken_options)
        return self.weight * penalty(ctx.enhance(degraded) - pseudo, self.kind, self.eps)
