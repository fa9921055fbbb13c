"""SAM image-encoder sizes and the adaptation of official weights to another encoder input size."""
from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import torch.nn.functional as F
from torch import Tensor, nn

PATCH_SIZE = 16


@dataclass(frozen=True)
class EncoderSize:
    """Hyper-parameters of one ``ImageEncoderViT`` (those of ``segment_anything.build_sam`` for vit_b/l/h)."""

    embed_dim: int
    depth: int
    num_heads: int
    global_attn_indexes: tuple[int, ...]
    window_size: int = 14
    out_chans: int = 256
    img_size: int = 1024


ENCODER_SIZES: dict[str, EncoderSize] = {
    "vit_b": EncoderSize(768, 12, 12, (2, 5, 8, 11)),
    "vit_l": EncoderSize(1024, 24, 16, (5, 11, 17, 23)),
    "vit_h": EncoderSize(1280, 32, 16, (7, 15, 23, 31)),
    # test-sized: 2 blocks (one windowed, one global), 32 channels, 64-pixel input (a 4×4 token grid)
    "tiny": EncoderSize(32, 2, 2, (1,), window_size=2, out_chans=32, img_size=64),
}


def build_image_encoder(size: EncoderSize, img_size: int) -> nn.Module:
    from segment_anything.modeling import ImageEncoderViT

    return ImageEncoderViT(
        img_size=img_size, patch_size=PATCH_SIZE, embed_dim=size.embed_dim, depth=size.depth,
        num_heads=size.num_heads, mlp_ratio=4.0, out_chans=size.out_chans, qkv_bias=True,
        norm_layer=partial(nn.LayerNorm, eps=1e-6), use_rel_pos=True, window_size=size.window_size,
        global_attn_indexes=size.global_attn_indexes,
    )


def _resample_pos_embed(pos: Tensor, grid: tuple[int, int]) -> Tensor:
    """``1×g×g×C`` absolute position embedding resampled (bicubic) to another token grid."""
    resized = F.interpolate(pos.permute(0, 3, 1, 2).float(), size=grid, mode="bicubic", align_corners=False)
    return resized.permute(0, 2, 3, 1).to(pos.dtype)


def _resample_rel_pos(rel: Tensor, length: int) -> Tensor:
    """``L×C`` relative position table resampled (linear) to another length, as SAM's get_rel_pos does."""
    resized = F.interpolate(rel.t().unsqueeze(0).float(), size=length, mode="linear", align_corners=False)
    return resized.squeeze(0).t().to(rel.dtype)


def fit_to_input_size(state: dict[str, Tensor], model: nn.Module) -> dict[str, Tensor]:
    """Resample position tables of a checkpoint trained at another ``img_size`` to the model's shapes.

    Only ``pos_embed`` and ``rel_pos_h`` / ``rel_pos_w`` entries whose shapes differ are touched (the global-attention
    blocks' tables depend on the token grid); anything else is left for the strict key/shape check.
    """
    own = model.state_dict()
    out = dict(state)
    for key, value in state.items():
        target = own.get(key)
        if target is None or target.shape == value.shape:
            continue
        if key.endswith("pos_embed") and value.dim() == 4 and value.shape[-1] == target.shape[-1]:
            out[key] = _resample_pos_embed(value, (target.shape[1], target.shape[2]))
        elif key.endswith(("rel_pos_h", "rel_pos_w")) and value.dim() == 2 and value.shape[1] == target.shape[1]:
            out[key] = _resample_rel_pos(value, target.shape[0])
    return out


def resize_longest_side(x: Tensor, target: int) -> Tensor:
    """Differentiable version of SAM's ``ResizeLongestSide``: longest side to ``target``, aspect kept."""
    h, w = x.shape[-2:]
    scale = target / max(h, w)
    new_h, new_w = int(h * scale + 0.5), int(w * scale + 0.5)
    if (new_h, new_w) == (h, w):
        return x
    return F.interpolate(x, size=(new_h, new_w), mode="bilinear", align_corners=False, antialias=scale < 1)


def pad_bottom_right(x: Tensor, size: int) -> Tensor:
    h, w = x.shape[-2:]
    return F.pad(x, (0, size - w, 0, size - h))


def ceil_div(a: int, b: int) -> int:
    return -(-a // b)
