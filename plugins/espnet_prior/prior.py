"""``ESPNetv2Prior``: ESPNetv2 semantic segmentation (Mehta et al., CVPR 2019) as a frozen image prior.

Written from the authors' description and code (sacmehta/EdgeNets @ 2b232d3); the module names are the published
checkpoints' key names, so ``espnetv2_voc`` and ``espnetv2_cityscapes`` load with no missing or unexpected key.

Forward, as the authors run it: the [0, 1] RGB image is normalised with ImageNet mean/std; the EESP encoder gives
levels at strides 2/4/8/16; the decoder starts from level 4 with an efficient pyramid pool (EPP), and three times
upsamples ×2 (bilinear, aligned corners), adds a gated projection of the next finer encoder level, applies BN +
PReLU and another EPP — the last one outputs the class scores at stride 2, which are resized bilinearly (aligned
corners) to the input size.

Any H×W: where the authors' ×2 upsampling needs H, W divisible by 16, each decoder step here resizes to its skip
level's own size ``⌈H/s⌉×⌈W/s⌉`` instead — the same operation (aligned-corner resizing depends only on the two
sizes) whenever the sizes are multiples of 16, and defined for every other size without padding.
"""
from __future__ import annotations

from torch import Tensor, nn

from llie.checkpoints import load_pretrained
from llie.errors import ConfigError
from llie.interfaces import ImagePrior, PriorFeatures
from llie.prior_support import InputNormalizer, prior_identity

from .classes import DATASET_CLASSES
from .decoder import EfficientPyramidPool, GatedProjection, norm_act, resize
from .encoder import STRIDES, WIDTHS, EESPEncoder

#: decoder widths after the four EPPs (the last is the class count); the authors use 16·(4, 3, 2) for VOC and
#: Cityscapes alike
DECODER_BASE = 16
LOGITS_STRIDES = (1, 2)


class ESPNetv2Prior(ImagePrior):
    """Frozen ESPNetv2 segmentation network.

    Output: ``levels = [(2, B×32×⌈H/2⌉×⌈W/2⌉), (4, B×128×…), (8, B×256×…), (16, B×512×…)]`` (the encoder levels;
    channels for width scale ``s = 2.0``, see :data:`~.encoder.WIDTHS` for the others) and ``logits``
    ``B×K×H×W`` (``logits_stride: 1``, the authors' output) or ``B×K×⌈H/2⌉×⌈W/2⌉`` (``logits_stride: 2``, the
    decoder's own map before the final resize: 4× fewer values to cache), K = 21 (VOC) or 20 (Cityscapes).

    Args:
        dataset: ``voc`` (PASCAL VOC 2012, 21 classes) or ``cityscapes`` (19 classes + an untrained 'background').
        pretrained: a weights file or zoo name (``espnetv2_voc``, ``espnetv2_cityscapes``); null = random init.
        width_scale: ESPNetv2's ``s`` (0.5, 1.0, 1.25, 1.5, 2.0); the two zoo weights are s = 2.0.
        normalize: input normalisation; ``imagenet`` as the authors trained.
        logits_stride: 1 or 2, see above.
        frozen: eval mode, no gradients to the weights (gradients still flow to the input, for the semantic loss).
    """

    strides: tuple[int, ...] = STRIDES
    channels: tuple[int, ...] = WIDTHS[2.0]
    num_classes: int | None = len(DATASET_CLASSES["voc"])
    class_names: tuple[str, ...] | None = DATASET_CLASSES["voc"]

    def __init__(self, dataset: str = "voc", pretrained: str | None = None, width_scale: float = 2.0,
                 normalize: str = "imagenet", logits_stride: int = 1, frozen: bool = True) -> None:
        super().__init__()
        name = type(self).__name__
        if dataset not in DATASET_CLASSES:
            raise ConfigError(f"{name}.dataset: unknown dataset '{dataset}'; use one of {list(DATASET_CLASSES)}")
        if float(width_scale) not in WIDTHS:
            raise ConfigError(f"{name}.width_scale: {width_scale} is not one of {sorted(WIDTHS)}")
        if int(logits_stride) not in LOGITS_STRIDES:
            raise ConfigError(f"{name}.logits_stride: {logits_stride} is not one of {list(LOGITS_STRIDES)}")
        self.config = {"dataset": dataset, "width_scale": float(width_scale), "normalize": normalize,
                       "logits_stride": int(logits_stride)}
        self.class_names = DATASET_CLASSES[dataset]
        self.num_classes = len(self.class_names)
        self.logits_stride = int(logits_stride)
        self.normalizer = InputNormalizer(normalize, owner=name)
        self.base_net = EESPEncoder(float(width_scale))
        self.channels = tuple(self.base_net.channels)
        self.strides = STRIDES
        self._build_decoder(self.channels, self.num_classes)
        self.weights = load_pretrained(self, pretrained, what=f"{name}.pretrained")
        if frozen:
            self.freeze()

    def _build_decoder(self, enc: tuple[int, ...], classes: int) -> None:
        widths = (4 * DECODER_BASE, 3 * DECODER_BASE, 2 * DECODER_BASE)
        proj = min(classes // 2, DECODER_BASE)
        self.bu_dec_l1 = EfficientPyramidPool(enc[3], proj, widths[0])
        self.bu_dec_l2 = EfficientPyramidPool(widths[0], proj, widths[1])
        self.bu_dec_l3 = EfficientPyramidPool(widths[1], proj, widths[2])
        self.bu_dec_l4 = EfficientPyramidPool(widths[2], proj, classes, last_norm=False)
        self.merge_enc_dec_l2 = GatedProjection(enc[2], widths[0])
        self.merge_enc_dec_l3 = GatedProjection(enc[1], widths[1])
        self.merge_enc_dec_l4 = GatedProjection(enc[0], widths[2])
        self.bu_br_l2 = norm_act(widths[0])
        self.bu_br_l3 = norm_act(widths[1])
        self.bu_br_l4 = norm_act(widths[2])

    def _decode(self, levels: list[Tensor]) -> Tensor:
        """Class scores at stride 2 from the four encoder levels."""
        l1, l2, l3, l4 = levels
        steps: list[tuple[Tensor, nn.Module, nn.Module, nn.Module]] = [
            (l3, self.merge_enc_dec_l2, self.bu_br_l2, self.bu_dec_l2),
            (l2, self.merge_enc_dec_l3, self.bu_br_l3, self.bu_dec_l3),
            (l1, self.merge_enc_dec_l4, self.bu_br_l4, self.bu_dec_l4),
        ]
        out = self.bu_dec_l1(l4)
        for skip, project, norm, pyramid in steps:
            out = pyramid(norm(project(skip) + resize(out, skip.shape[-2:])))
        return out

    def forward(self, x: Tensor) -> PriorFeatures:
        features = self.base_net(self.normalizer(x))
        logits = self._decode(features)
        if self.logits_stride == 1:
            logits = resize(logits, x.shape[-2:])
        return PriorFeatures(levels=list(zip(self.strides, features)), logits=logits,
                             logits_stride=self.logits_stride)

    def identity(self) -> str:
        return prior_identity(type(self).__name__, self.config, self.weights)
