"""HRNetV2 segmentation prior (the semantic prior of SKF and DeepSPG), built by mmseg from its shipped configs."""
from __future__ import annotations

from .base import MMSegPrior, Variant

_PASCAL_CONTEXT_59 = "hrnet/fcn_hr{}_4xb4-40k_pascal-context-59-480x480.py"

#: widths of the test-sized network: same HRNet class, one module and one block per stage, channels 4/8/16/32
_TINY_WIDTHS = (4, 8, 16, 32)
_TINY_BACKBONE = {"extra": {
    "stage1": {"num_modules": 1, "num_blocks": (1,), "num_channels": (8,)},
    "stage2": {"num_modules": 1, "num_blocks": (1, 1), "num_channels": _TINY_WIDTHS[:2]},
    "stage3": {"num_modules": 1, "num_blocks": (1, 1, 1), "num_channels": _TINY_WIDTHS[:3]},
    "stage4": {"num_modules": 1, "num_blocks": (1, 1, 1, 1), "num_channels": _TINY_WIDTHS},
}}


class HRNetPrior(MMSegPrior):
    """Frozen HRNetV2 + FCN head: the four stage-4 branches as levels, and per-class logits at stride 4.

    Variants (mmseg's PASCAL-Context-59 configs): ``w48`` (channels 48/96/192/384; SKF's and DeepSPG's prior),
    ``w18`` (18/36/72/144), ``w18_small`` (same widths, fewer blocks), ``tiny`` (4/8/16/32, for tests only).
    ``pretrained``: a zoo name (``hrnetv2_w48_pascal_context_59``) or a local mmseg checkpoint such as
    ``fcn_hr48_480x480_40k_pascal_context_59_*.pth`` (``meta`` + ``state_dict`` with ``backbone.*`` /
    ``decode_head.*`` keys); ``None`` keeps a random init (logged as a warning).
    ``normalize``: ``'none'`` by default, following SKF, which feeds the network [0, 1] images without ImageNet
    normalisation (*assumed* to carry over to DeepSPG); ``'imagenet'`` matches how mmseg trained the weights.
    """

    VARIANTS = {
        "w48": Variant(_PASCAL_CONTEXT_59.format("48")),
        "w18": Variant(_PASCAL_CONTEXT_59.format("18")),
        "w18_small": Variant(_PASCAL_CONTEXT_59.format("18s")),
        "tiny": Variant(_PASCAL_CONTEXT_59.format("18s"), backbone=_TINY_BACKBONE,
                        head={"in_channels": list(_TINY_WIDTHS), "channels": sum(_TINY_WIDTHS)}),
    }
    DEFAULT_NORMALIZE = "none"

    def __init__(self, variant: str = "w48", num_classes: int = 59, pretrained: str | None = None,
                 frozen: bool = True, normalize: str | None = None, with_logits: bool = True) -> None:
        super().__init__(variant=variant, num_classes=num_classes, pretrained=pretrained, frozen=frozen,
                         normalize=normalize, with_logits=with_logits)
