"""Image-quality metrics under named protocols: functional PSNR/SSIM and an mmengine metric for evaluation loops."""
from .evaluator import PairedImageMetric
from .functional import bt601_luma, match_gt_mean, psnr, ssim
from .protocols import MetricProtocol, get_protocol, known_protocols

__all__ = ["MetricProtocol", "PairedImageMetric", "bt601_luma", "get_protocol", "known_protocols", "match_gt_mean",
           "psnr", "ssim"]
