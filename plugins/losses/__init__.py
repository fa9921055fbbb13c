"""Built-in plugin 'losses': pixel, edge, semantic (image prior), multimodal (text prior) and decomposition terms.

Each is a :class:`llie.interfaces.Loss` (``forward(pred, target, ctx) -> weighted scalar``) logged as
``loss_<name>``.
"""
from llie import hookimpl

from .decomposition import DecompositionLoss
from .edge import EdgeLoss
from .multimodal import MultimodalLoss
from .pixel import PixelLoss
from .semantic import SemanticLoss

__all__ = ["DecompositionLoss", "EdgeLoss", "MultimodalLoss", "PixelLoss", "SemanticLoss"]


@hookimpl
def llie_register(registries):
    for cls in (PixelLoss, EdgeLoss, SemanticLoss, MultimodalLoss, DecompositionLoss):
        registries.losses.register_module(module=cls)
