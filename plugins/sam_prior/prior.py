"""Segment Anything's image encoder as a frozen image prior."""
from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

from llie.checkpoints import load_pretrained
from llie.errors import CheckpointError, ConfigError
from llie.interfaces import ImagePrior, PriorFeatures
from llie.prior_support import InputNormalizer, prior_identity

from .encoder import (ENCODER_SIZES, PATCH_SIZE, build_image_encoder, ceil_div, fit_to_input_size,
                      pad_bottom_right, resize_longest_side)

_PREFIX = "image_encoder."


class SAMPrior(ImagePrior):
    """SAM's ``ImageEncoderViT`` (neck output) as one feature level.

    Pre-processing follows SAM: the longest image side is resized to the encoder's ``img_size`` (aspect kept),
    pixels are normalised with SAM's pixel mean/std (equal to ImageNet's; ``normalize: 'imagenet'``), and the image
    is zero-padded bottom/right to ``img_size``². The encoder's token grid is ``img_size/16`` square; its part that
    covers the image (the padding is cropped away) is bilinearly resampled to ``⌈H/out_stride⌉×⌈W/out_stride⌉`` of
    the ORIGINAL ``H×W`` input, so ``levels == [(out_stride, B×out_chans×⌈H/out_stride⌉×⌈W/out_stride⌉)]`` like every
    prior, whatever the input size. The native detail is one token per ``16·max(H, W)/img_size`` input pixels.

    variant: ``vit_b`` / ``vit_l`` / ``vit_h`` (256 output channels, official ``img_size`` 1024) or ``tiny``
    (32 channels, ``img_size`` 64; tests only). ``img_size``: encoder input side (a multiple of 16); a checkpoint
    trained at another size is adapted by resampling its position tables. ``pretrained``: a zoo name (``sam_vit_b``),
    a local SAM checkpoint (``sam_vit_b_01ec64.pth`` …: keys ``image_encoder.*``, the prompt encoder and mask decoder
    are ignored) or a bare encoder state_dict; ``None`` keeps a random init (logged as a warning).
    """

    def __init__(self, variant: str = "vit_b", pretrained: str | None = None, frozen: bool = True,
                 img_size: int | None = None, out_stride: int = 16, normalize: str = "imagenet") -> None:
        super().__init__()
        if variant not in ENCODER_SIZES:
            raise ConfigError(f"SAMPrior.variant: unknown variant '{variant}'; use one of {sorted(ENCODER_SIZES)}")
        size = ENCODER_SIZES[variant]
        img_size = size.img_size if img_size is None else int(img_size)
        if img_size <= 0 or img_size % PATCH_SIZE:
            raise ConfigError(f"SAMPrior.img_size: {img_size} is not a positive multiple of {PATCH_SIZE}")
        if out_stride <= 0:
            raise ConfigError(f"SAMPrior.out_stride: {out_stride} must be a positive integer")
        self.config = {"variant": variant, "img_size": img_size, "out_stride": int(out_stride),
                       "normalize": normalize}
        self.img_size = img_size
        self.normalizer = InputNormalizer(normalize, owner="SAMPrior")
        self.image_encoder = build_image_encoder(size, img_size)
        self.strides = (int(out_stride),)
        self.channels = (size.out_chans,)
        self.num_classes = None
        self.weights = self._load(pretrained)
        if frozen:
            self.freeze()

    def _load(self, pretrained: str | None) -> str:
        what = "SAMPrior.pretrained"

        def encoder_entries(state: dict[str, Tensor]) -> dict[str, Tensor]:
            if any(k.startswith(_PREFIX) for k in state):  # a full SAM checkpoint
                state = {k: v for k, v in state.items() if k.startswith(_PREFIX)}
            elif any(k.startswith(("prompt_encoder.", "mask_decoder.")) for k in state):
                raise CheckpointError(f"{what}: '{pretrained}' is a SAM checkpoint without image_encoder.* weights")
            else:  # a bare encoder state_dict
                state = {_PREFIX + k: v for k, v in state.items()}
            return fit_to_input_size(state, self)

        return load_pretrained(self, pretrained, what=what, adapt=encoder_entries)

    def forward(self, x: Tensor) -> PriorFeatures:
        h, w = x.shape[-2:]
        resized = resize_longest_side(x, self.img_size)
        rh, rw = resized.shape[-2:]
        tokens = self.image_encoder(pad_bottom_right(self.normalizer(resized), self.img_size))
        valid = tokens[..., :ceil_div(rh, PATCH_SIZE), :ceil_div(rw, PATCH_SIZE)]
        stride = self.strides[0]
        out_size = (ceil_div(h, stride), ceil_div(w, stride))
        if tuple(valid.shape[-2:]) != out_size:
            valid = F.interpolate(valid, size=out_size, mode="bilinear", align_corners=False)
        return PriorFeatures(levels=[(stride, valid)])

    def identity(self) -> str:
        return prior_identity("SAMPrior", self.config, self.weights)
