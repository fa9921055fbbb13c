"""Built-in plugin 'metrics' (registered through the llie.plugins entry point like any third-party plugin).

Provides ``PairedImageMetric`` (PSNR/SSIM under a named protocol) in the metrics registry.
"""
from llie import hookimpl
from llie.metrics import PairedImageMetric


@hookimpl
def llie_register(registries):
    """Register the paired PSNR/SSIM metric."""
    registries.metrics.register_module(module=PairedImageMetric)
