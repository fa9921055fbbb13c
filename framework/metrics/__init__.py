"""Image-quality metrics: functional PSNR/SSIM under named protocols and an mmengine metric for evaluation loops;
no-reference metrics (NIQE) for unpaired sets."""
from .evaluator import PairedImageMetric
from .functional import PRECISIONS, bt601_luma, match_gt_mean, psnr, psnr_ssim, ssim
from .niqe import NIQE, compute_niqe
from .no_reference import NoReferenceMetric, build_no_reference_metric, no_reference_metrics
from .protocols import MetricProtocol, get_protocol, known_protocols

__all__ = ["NIQE", "PRECISIONS", "MetricProtocol", "NoReferenceMetric", "PairedImageMetric", "bt601_luma",
           "build_no_reference_metric", "get_protocol", "known_protocols", "compute_niqe", "match_gt_mean",
           "no_reference_metrics", "psnr", "psnr_ssim", "ssim"]
