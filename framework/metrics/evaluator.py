"""mmengine metric computing PSNR and SSIM of enhanced images against ground truth under one named protocol.

Each run records one protocol: the per-image scores stay available on :attr:`PairedImageMetric.last_per_image`
(with the protocol on :attr:`PairedImageMetric.protocol`) so that run directories can hold per-image CSV/JSON.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch
from mmengine.evaluator import BaseMetric

from llie.errors import DataError

from .functional import psnr, ssim
from .protocols import MetricProtocol, get_protocol

_SAMPLE_KEYS = ("pred", "gt", "name")


class PairedImageMetric(BaseMetric):
    """PSNR and SSIM (means over the evaluated images) under a named protocol.

    ``process`` takes ``data_samples`` as a list of dicts ``{'pred': 3×H×W tensor in [0, 1], 'gt': 3×H×W,
    'name': str}``; images of the same size are scored together as one batch. ``compute_metrics`` returns
    ``{'psnr': float, 'ssim': float}`` and keeps ``[{'name', 'psnr', 'ssim'}, ...]`` on :attr:`last_per_image`.
    A sample's optional ``'extras'`` (``{key: float}``, e.g. the gate values a model applied) are copied into its row.
    """

    default_prefix = ""  # keys stay 'psnr'/'ssim' unless a prefix is given (and mmengine does not warn)

    def __init__(self, protocol: str | MetricProtocol = "retinexformer", gt_mean: bool = False,
                 crop_border: int = 0, y_channel: bool = False, prefix: str | None = None,
                 collect_device: str = "cpu") -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.protocol: MetricProtocol = get_protocol(protocol, gt_mean=gt_mean, crop_border=crop_border,
                                                      y_channel=y_channel)
        self.last_per_image: list[dict[str, Any]] = []

    def process(self, data_batch: Any, data_samples: Sequence[dict]) -> None:
        """Score every sample; append one ``{'name', 'psnr', 'ssim', *extras}`` per image, in input order."""
        samples = list(data_samples)
        by_shape: dict[tuple, list[int]] = {}
        for index, sample in enumerate(samples):
            pred, gt = self._checked(index, sample)
            by_shape.setdefault((tuple(pred.shape), pred.device, gt.device), []).append(index)
        scores: dict[int, tuple[float, float]] = {}
        with torch.no_grad():
            for indices in by_shape.values():
                pred = torch.stack([samples[i]["pred"].detach() for i in indices])
                gt = torch.stack([samples[i]["gt"].detach() for i in indices]).to(pred.device)
                batch_psnr = psnr(pred, gt, self.protocol).tolist()
                batch_ssim = ssim(pred, gt, self.protocol).tolist()
                for i, p, s in zip(indices, batch_psnr, batch_ssim):
                    scores[i] = (p, s)
        for index, sample in enumerate(samples):
            p, s = scores[index]
            row = {"name": str(sample["name"]), "psnr": p, "ssim": s}
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
            return {"psnr": math.nan, "ssim": math.nan}
        count = len(results)
        return {"psnr": sum(r["psnr"] for r in results) / count, "ssim": sum(r["ssim"] for r in results) / count}
