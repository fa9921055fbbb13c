"""Built-in plugin 'mmseg_priors': segmentation networks from mmsegmentation as frozen image priors.

Registers ``HRNetPrior`` (SKF's/DeepSPG's prior) and ``SegFormerPrior``. Importing this package does not import
mmseg; the priors do, after installing the mmcv-lite compatibility shim (:mod:`llie.compat`).
"""
from llie import hookimpl

from .hrnet import HRNetPrior
from .segformer import SegFormerPrior

__all__ = ["HRNetPrior", "SegFormerPrior"]


@hookimpl
def llie_register(registries):
    registries.image_priors.register_module(module=HRNetPrior)
    registries.image_priors.register_module(module=SegFormerPrior)
