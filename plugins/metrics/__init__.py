"""Built-in plugin 'metrics' (registered through the llie.plugins entry point like any third-party plugin).

Provides ``PairedImageMetric`` (PSNR/SSIM under a named protocol) and the no-reference ``NIQE`` (lower is better)
in the metrics registry.
"""
from llie import hookimpl
from llie.metrics import NIQE, PairedImageMetric


@hookimpl
def llie_register(registries):
    """Register the paired PSNR/SSIM metric and the no-reference metrics."""
    registries.metrics.register_module(module=PairedImageMetric)
    registries.metrics.register_module(module=NIQE)
