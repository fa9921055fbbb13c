"""SegFormer (Mix Transformer encoder + all-MLP head) prior, built by mmseg from its shipped ADE20K configs."""
from __future__ import annotations

from .base import MMSegPrior, Variant

_ADE20K = "segformer/segformer_mit-{}_8xb2-160k_ade20k-512x512.py"

#: test-sized Mix Transformer: one layer per stage, channels 8/16/32/64
_TINY_EMBED, _TINY_HEADS = 8, (1, 2, 4, 8)
_TINY_WIDTHS = [_TINY_EMBED * h for h in _TINY_HEADS]


class SegFormerPrior(MMSegPrior):
    """Frozen SegFormer: the four MiT stage outputs as levels (strides 4/8/16/32) and class logits at stride 4.

    Variants ``b0``…``b5`` follow mmseg's ADE20K configs (channels 32/64/160/256 for b0, 64/128/320/512 for
    b1–b5; 150 classes); ``tiny`` (8/16/32/64) is for tests. ``pretrained``: a zoo name
    (``segformer_mit_b0_ade20k``) or a local mmseg SegFormer checkpoint (``backbone.*`` / ``decode_head.*``); ``None``
    keeps a random init. ``normalize`` defaults to ``'imagenet'``, the normalisation these weights were trained with.
    """

    VARIANTS = {
        **{f"b{i}": Variant(_ADE20K.format(f"b{i}")) for i in range(6)},
        "tiny": Variant(_ADE20K.format("b0"),
                        backbone={"embed_dims": _TINY_EMBED, "num_heads": list(_TINY_HEADS),
                                  "num_layers": [1, 1, 1, 1], "drop_path_rate": 0.0},
                        head={"in_channels": _TINY_WIDTHS, "channels": 16}),
    }
    DEFAULT_NORMALIZE = "imagenet"

    def __init__(self, variant: str = "b0", num_classes: int = 150, pretrained: str | None = None,
                 frozen: bool = True, normalize: str | None = None, with_logits: bool = True) -> None:
        super().__init__(variant=variant, num_classes=num_classes, pretrained=pretrained, frozen=frozen,
                         normalize=normalize, with_logits=with_logits)
