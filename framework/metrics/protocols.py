"""Named evaluation protocols for PSNR/SSIM.

Published low-light numbers are not comparable unless the protocol is stated: papers differ in whether PSNR is taken
on float or 8-bit images, on RGB or on the BT.601 luma, with or without a border crop, and whether the output is
rescaled to the ground truth's brightness first ("GT mean"). Each such choice is a field here, every result records
the protocol it was measured under (:attr:`MetricProtocol.tag`), and nothing is mixed silently.

- ``retinexformer``: PSNR on clamped float RGB in [0, 1]; SSIM on 8-bit RGB (11×11 Gaussian window, σ 1.5, valid
  region, mean over channels). An output identical to the ground truth scores PSNR 100, as in Retinexformer's code.
- ``basicsr``: clamp, round to 8-bit values; PSNR with peak 255 (float64 MSE; identical images score ``inf``); SSIM
  as above. ``crop_border`` and ``y_channel`` are the usual BasicSR options.

``gt_mean`` (either protocol) scales the output so that its mean gray level equals the ground truth's, then clips, as
Retinexformer's ``test_from_dataset.py --GT_mean`` does (after KinD and LLFlow): the gray level is
``cv2.cvtColor(img, COLOR_BGR2GRAY)`` of the RGB-ordered image, i.e. 0.114·R + 0.587·G + 0.299·B
(``gt_mean_gray='bgr2gray'``, the default). ``gt_mean_gray='rgb_mean'`` (plain mean over the channels) is kept only
to measure how much that convention matters; it is named in the tag (``+gtmean-rgbmean``) and not offered in configs.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from llie.errors import ConfigError, did_you_mean

#: Protocol name -> the defaults it stands for; the options (crop, Y, GT mean) may be overridden on either.
_KNOWN: dict[str, dict[str, Any]] = {
    "retinexformer": {"crop_border": 0, "y_channel": False, "gt_mean": False},
    "basicsr": {"crop_border": 0, "y_channel": False, "gt_mean": False},
}
#: How ``gt_mean`` measures the gray level; the first is the field's convention and the default.
GT_MEAN_GRAYS = ("bgr2gray", "rgb_mean")


def known_protocols() -> list[str]:
    """Names accepted by :func:`get_protocol`."""
    return sorted(_KNOWN)


@dataclass(frozen=True)
class MetricProtocol:
    """How PSNR/SSIM are measured; see the module docstring for what each name means.

    ``crop_border`` pixels are dropped from every side before both metrics; ``y_channel`` measures on the BT.601 luma
    (BasicSR's ``bgr2ycbcr(y_only=True)``, not rounded) instead of RGB; ``gt_mean`` rescales the output so that its
    mean gray level equals the ground truth's (then clips to [0, 1]) before anything else; ``gt_mean_gray`` is how that
    gray level is measured (see the module docstring).
    """

    name: str
    crop_border: int = 0
    y_channel: bool = False
    gt_mean: bool = False
    gt_mean_gray: str = GT_MEAN_GRAYS[0]

    def __post_init__(self) -> None:
        if self.name not in _KNOWN:
            raise ConfigError(f"unknown metric protocol '{self.name}'{did_you_mean(self.name, _KNOWN)}; "
                              f"known protocols: {', '.join(known_protocols())}")
        if isinstance(self.crop_border, bool) or not isinstance(self.crop_border, int) or self.crop_border < 0:
            raise ConfigError(f"metric protocol '{self.name}': crop_border must be a non-negative integer, "
                              f"got {self.crop_border!r}")
        for flag in ("y_channel", "gt_mean"):
            if not isinstance(getattr(self, flag), bool):
                raise ConfigError(f"metric protocol '{self.name}': {flag} must be true or false, "
                                  f"got {getattr(self, flag)!r}")
        if self.gt_mean_gray not in GT_MEAN_GRAYS:
            raise ConfigError(f"metric protocol '{self.name}': gt_mean_gray must be one of "
                              f"{', '.join(GT_MEAN_GRAYS)}, got {self.gt_mean_gray!r}")

    @property
    def tag(self) -> str:
        """A short, stable label for result tables, e.g. ``basicsr+y+crop4+gtmean`` or ``retinexformer``; a non-default
        GT-mean gray level is named (``+gtmean-rgbmean``)."""
        parts = [self.name]
        if self.y_channel:
            parts.append("y")
        if self.crop_border:
            parts.append(f"crop{self.crop_border}")
        if self.gt_mean:
            default_gray = self.gt_mean_gray == GT_MEAN_GRAYS[0]
            parts.append("gtmean" if default_gray else f"gtmean-{self.gt_mean_gray.replace('_', '')}")
        return "+".join(parts)

    def as_dict(self) -> dict[str, Any]:
        """Plain fields plus the tag, for JSON/CSV records."""
        return {**asdict(self), "tag": self.tag}


def get_protocol(name: str | MetricProtocol, **overrides: Any) -> MetricProtocol:
    """The protocol called ``name`` with the given option ``overrides`` (``crop_border``, ``y_channel``, ``gt_mean``).

    A :class:`MetricProtocol` passed as ``name`` is returned with the overrides applied, so callers can accept either.
    Unknown names or options raise :class:`~llie.errors.ConfigError`.
    """
    options = {f.name for f in fields(MetricProtocol)} - {"name"}
    unknown = sorted(set(overrides) - options)
    if unknown:
        raise ConfigError(f"unknown metric protocol option(s) {', '.join(unknown)}; "
                          f"allowed: {', '.join(sorted(options))}")
    if isinstance(name, MetricProtocol):
        return replace(name, **overrides)
    if not isinstance(name, str) or name not in _KNOWN:
        raise ConfigError(f"unknown metric protocol {name!r}"
                          f"{did_you_mean(name, _KNOWN) if isinstance(name, str) else ''}; "
                          f"known protocols: {', '.join(known_protocols())}")
    return MetricProtocol(name=name, **{**_KNOWN[name], **overrides})
