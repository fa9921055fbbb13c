"""mmengine metric computing PSNR and SSIM of enhanced images against ground truth under one named protocol, and
on request further paired metrics (:data:`EXTRA_METRICS`: ``delta_e``, the mean CIEDE2000 colour error).

Each run records one protocol: the per-image scores stay available on :attr:`PairedImageMetric.last_per_image`
(with the protocol on :attr:`PairedImageMetric.protocol`) so that run directories can hold per-image CSV/JSON.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import torch
from mmengine.evaluator import BaseMetric

from llie.errors import ConfigError, DataError, did_you_mean

from .color import delta_e
from .functional import prepared_pair, psnr, ssim
from .protocols import MetricProtocol, get_protocol

_SAMPLE_KEYS = ("pred", "gt", "name")
#: paired metrics beyond PSNR/SSIM, by result key: (per-image function of the protocol's prepared float64 images,
#: higher is better)
EXTRA_METRICS: dict[str, tuple[Callable[[torch.Tensor, torch.Tensor], torch.Tensor], bool]] = {
    "delta_e": (delta_e, False),
}


class PairedImageMetric(BaseMetric):
    """PSNR and SSIM (means over the evaluated images) under a named protocol, plus ``extra_metrics``.

    ``process`` takes ``data_samples`` as a list of dicts ``{'pred': 3×H×W tensor in [0, 1], 'gt': 3×H×W,
    'name': str}``; images of the same size are scored together as one batch. ``compute_metrics`` returns
    ``{'psnr': float, 'ssim': float, <extra>: float ...}`` and keeps ``[{'name', 'psnr', 'ssim', ...}, ...]`` on
    :attr:`last_per_image`. ``extra_metrics`` names metrics of :data:`EXTRA_METRICS` (e.g. ``['delta_e']``); they
    are computed on the images the protocol prepares (clamped, GT-mean rescaled, border-cropped), always in RGB.
    A sample's optional ``'extras'`` (``{key: float}``, e.g. the gate values a model applied) are copied into its row.
    """

    default_prefix = ""  # keys stay 'psnr'/'ssim' unless a prefix is given (and mmengine does not warn)

    def __init__(self, protocol: str | MetricProtocol = "retinexformer", gt_mean: bool = False,
                 crop_border: int = 0, y_channel: bool = False, extra_metrics: Sequence[str] = (),
                 prefix: str | None = None, collect_device: str = "cpu") -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.protocol: MetricProtocol = get_protocol(protocol, gt_mean=gt_mean, crop_border=crop_border,
                                                      y_channel=y_channel)
        if isinstance(extra_metrics, str) or not all(isinstance(m, str) for m in extra_metrics):
            raise ConfigError(f"PairedImageMetric: extra_metrics must be a list of names, got {extra_metrics!r}")
        for name in extra_metrics:
            if name not in EXTRA_METRICS:
                raise ConfigError(f"PairedImageMetric: unknown extra metric '{name}'"
                                  f"{did_you_mean(name, EXTRA_METRICS)}; known: {', '.join(EXTRA_METRICS)}")
        self.extra_metrics: tuple[str, ...] = tuple(dict.fromkeys(extra_metrics))
        self.last_per_image: list[dict[str, Any]] = []

    @property
    def metric_names(self) -> tuple[str, ...]:
        """The result keys, in order: ``psnr``, ``ssim``, then the extra metrics."""
        return ("psnr", "ssim", *self.extra_metrics)

    def process(self, data_batch: Any, data_samples: Sequence[dict]) -> None:
        """Score every sample; append one ``{'name', 'psnr', 'ssim', *extras}`` per image, in input order."""
        samples = list(data_samples)
        by_shape: dict[tuple, list[int]] = {}
        for index, sample in enumerate(samples):
            pred, gt = self._checked(index, sample)
            by_shape.setdefault((tuple(pred.shape), pred.device, gt.device), []).append(index)
        scores: dict[int, tuple[float, ...]] = {}
        with torch.no_grad():
            for indices in by_shape.values():
                pred = torch.stack([samples[i]["pred"].detach() for i in indices])
                gt = torch.stack([samples[i]["gt"].detach() for i in indices]).to(pred.device)
                columns = [psnr(pred, gt, self.protocol).tolist(), ssim(pred, gt, self.protocol).tolist()]
                if self.extra_metrics:
                    prepared = prepared_pair(pred, gt, self.protocol)
                    columns += [EXTRA_METRICS[name][0](*prepared).tolist() for name in self.extra_metrics]
                for position, i in enumerate(indices):
                    scores[i] = tuple(column[position] for column in columns)
        for index, sample in enumerate(samples):
            row = {"name": str(sample["name"]), **dict(zip(self.metric_names, scores[index]))}
            extras = {str(k): float(v) for k, v in (sample.get("extras") or {}).items() if k not in row}
            self.results.append({**row, **extras})

    @staticmethod
    def _checked(index: int, sample: Any) -> tuple[torch.Tensor, torch.Tensor]:
        if not isinstance(sample, dict) or any(k not in sample for k in _SAMPLE_KEYS):
            have = sorted(sample) if isinstance(sample, dict) else type(sample).__name__
            raise DataError(f"PairedImageMetric: data sample #{index} must be a dict with keys "
                            f"{', '.join(_SAMPLE_KEYS)}; got {have}")
        pred, gt, name = sample["pred"], sample["gt"], sample["name"]
        if not isinstance(pred, torch.Tensor) or not isinstance(gt, torch.Tensor):
            raise DataError(f"PairedImageMetric: image '{name}': 'pred' and 'gt' must be tensors, "
                            f"got {type(pred).__name__} and {type(gt).__name__}")
        if pred.dim() != 3 or pred.shape != gt.shape:
            raise DataError(f"PairedImageMetric: image '{name}': expected 'pred' and 'gt' of the same C×H×W shape, "
                            f"got {tuple(pred.shape)} and {tuple(gt.shape)}")
        return pred, gt

    def compute_metrics(self, results: list) -> dict[str, float]:
        """Means over all images; NaN when nothing was evaluated."""
        self.last_per_image = [dict(r) for r in results]
        if not results:
            return {name: math.nan for name in self.metric_names}
        return {name: sum(r[name] for r in results) / len(results) for name in self.metric_names}
