"""Built-in plugin 'losses': pixel, edge, semantic (image prior), multimodal (text prior) and decomposition terms, and
Zero-DCE's zero-reference terms (spatial consistency, exposure control, colour constancy, illumination smoothness).

Each is a :class:`llie.interfaces.Loss` (``forward(pred, target, ctx) -> weighted scalar``) logged as
``loss_<name>``.
"""
from llie import hookimpl

from .decomposition import DecompositionLoss
from .edge import EdgeLoss
from .multimodal import MultimodalLoss
from .pixel import PixelLoss
from .semantic import SemanticLoss
from .zero_reference import (ColorConstancyLoss, ExposureControlLoss, IlluminationSmoothnessLoss,
                             SpatialConsistencyLoss)

__all__ = ["ColorConstancyLoss", "DecompositionLoss", "EdgeLoss", "ExposureControlLoss", "IlluminationSmoothnessLoss",
           "MultimodalLoss", "PixelLoss", "SemanticLoss", "SpatialConsistencyLoss"]


@hookimpl
def llie_register(registries):
    for cls in (PixelLoss, EdgeLoss, SemanticLoss, MultimodalLoss, DecompositionLoss, SpatialConsistencyLoss,
                ExposureControlLoss, ColorConstancyLoss, IlluminationSmoothnessLoss):
        registries.losses.register_module(module=cls)
