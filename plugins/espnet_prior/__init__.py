"""Built-in plugin 'espnet_prior': ESPNetv2 semantic segmentation (PASCAL VOC / Cityscapes weights) as a frozen
image prior (``ESPNetv2Prior``)."""
from llie import hookimpl

from .prior import ESPNetv2Prior

__all__ = ["ESPNetv2Prior"]


@hookimpl
def llie_register(registries):
    registries.image_priors.register_module(module=ESPNetv2Prior)
