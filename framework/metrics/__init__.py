"""Image-quality metrics under named protocols: functional PSNR/SSIM and an mmengine metric for evaluation loops."""
from .evaluator import PairedImageMetric
from .functional import PRECISIONS, bt601_luma, match_gt_mean, psnr, psnr_ssim, ssim
from .protocols import MetricProtocol, get_protocol, known_protocols

__all__ = ["PRECISIONS", "MetricProtocol", "PairedImageMetric", "bt601_luma", "get_protocol", "known_protocols",
           "match_gt_mean", "psnr", "psnr_ssim", "ssim"]
