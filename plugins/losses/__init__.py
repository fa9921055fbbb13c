"""Built-in plugin 'losses': pixel, edge, semantic (image prior), multimodal (text prior) and decomposition terms, and
Zero-DCE's zero-reference terms (spatial consistency, exposure control, colour constancy, illumination smoothness),
and the self-supervised synthetic-to-real consistency term for real photos without ground truth.

Each is a :class:`llie.interfaces.Loss` (``forward(pred, target, ctx) -> weighted scalar``) logged as
``loss_<name>``.
"""
from llie import hookimpl

from .consistency import SyntheticToRealConsistencyLoss
from .decomposition import DecompositionLoss
from .edge import EdgeLoss
from .multimodal import MultimodalLoss
from .pixel import PixelLoss
from .semantic import SemanticLoss
from .zero_reference import (ColorConstancyLoss, ExposureControlLoss, IlluminationSmoothnessLoss,
                             SpatialConsistencyLoss)

__all__ = ["ColorConstancyLoss", "DecompositionLoss", "EdgeLoss", "ExposureControlLoss", "IlluminationSmoothnessLoss",
           "MultimodalLoss", "PixelLoss", "SemanticLoss", "SpatialConsistencyLoss", "SyntheticToRealConsistencyLoss"]


@hookimpl
def llie_register(registries):
    for cls in (PixelLoss, EdgeLoss, SemanticLoss, MultimodalLoss, DecompositionLoss, SpatialConsistencyLoss,
                ExposureControlLoss, ColorConstancyLoss, IlluminationSmoothnessLoss, SyntheticToRealConsistencyLoss):
        registries.losses.register_module(module=cls)
