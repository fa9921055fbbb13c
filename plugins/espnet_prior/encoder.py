"""ESPNetv2's encoder as its segmentation network uses it: the ImageNet backbone's first four levels.

Level 1 is a strided 3×3 convolution; levels 2–4 each start with a strided EESP unit (with the input-image
shortcut); levels 3 and 4 then repeat stride-1 EESP units. The classification levels (level 5, the classifier)
are not part of the segmentation network and not in its checkpoints.
"""
from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn

from .eesp import EESP, IMAGE_CHANNELS, StridedEESP
from .units import ConvUnit

#: output channels of levels 1–4 per width scale ``s`` (levels 5 and the classifier are not used here)
WIDTHS: dict[float, tuple[int, int, int, int]] = {
    0.5: (16, 32, 64, 128),
    1.0: (32, 64, 128, 256),
    1.25: (32, 80, 160, 320),
    1.5: (32, 96, 192, 384),
    2.0: (32, 128, 256, 512),
}
STRIDES = (2, 4, 8, 16)
BRANCHES = 4
#: (largest receptive field of the strided unit, of the repeated units, number of repeated units) for levels 2–4
LEVELS = ((13, None, 0), (11, 9, 3), (9, 7, 7))


def pool_image(image: Tensor) -> Tensor:
    """The shortcut's pooling: 3×3 average, stride 2, padding 1 (so ``⌈n/2⌉``, matching the strided units)."""
    return F.avg_pool2d(image, kernel_size=3, stride=2, padding=1)


class EESPEncoder(nn.Module):
    """``forward(x: B×3×H×W normalised) -> [level1, level2, level3, level4]`` at strides 2/4/8/16, each map
    ``⌈H/stride⌉×⌈W/stride⌉`` with :data:`WIDTHS` ``[s]`` channels."""

    def __init__(self, width_scale: float = 2.0) -> None:
        super().__init__()
        if width_scale not in WIDTHS:
            raise ValueError(f"width scale {width_scale} not in {sorted(WIDTHS)}")
        c1, c2, c3, c4 = self.channels = WIDTHS[width_scale]
        (r2, _, _), (r3, r3_rep, n3), (r4, r4_rep, n4) = LEVELS
        self.level1 = ConvUnit(IMAGE_CHANNELS, c1, 3, stride=2)
        self.level2_0 = StridedEESP(c1, c2, BRANCHES, r2)
        self.level3_0 = StridedEESP(c2, c3, BRANCHES, r3)
        self.level3 = nn.ModuleList(EESP(c3, c3, 1, BRANCHES, r3_rep) for _ in range(n3))
        self.level4_0 = StridedEESP(c3, c4, BRANCHES, r4)
        self.level4 = nn.ModuleList(EESP(c4, c4, 1, BRANCHES, r4_rep) for _ in range(n4))

    def forward(self, x: Tensor) -> list[Tensor]:
        image = pool_image(x)  # the image at stride 2; each strided unit takes it one halving further
        out1 = self.level1(x)
        image = pool_image(image)
        out2 = self.level2_0(out1, image)
        image = pool_image(image)
        out3 = self.level3_0(out2, image)
        for unit in self.level3:
            out3 = unit(out3)
        image = pool_image(image)
        out4 = self.level4_0(out3, image)
        for unit in self.level4:
            out4 = unit(out4)
        return [out1, out2, out3, out4]
