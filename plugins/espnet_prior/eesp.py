"""The EESP unit (Reduce → Split → Transform → Merge) and the strided unit that downsamples with it.

EESP (Mehta et al., ESPNetv2, CVPR 2019): a grouped 1×1 convolution reduces the input to ``out/K`` channels; ``K``
parallel depthwise 3×3 convolutions with growing dilation see it at growing receptive fields; their outputs are
summed hierarchically (branch k adds branch k−1, which removes the gridding of dilated kernels), concatenated,
normalised and mixed by a grouped 1×1 convolution; a residual and a PReLU close the unit.
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

from .units import ConvUnit, NormAct

#: channels of the image fed to every strided unit's shortcut ("input reinforcement")
IMAGE_CHANNELS = 3


def branch_dilations(branches: int, max_receptive: int) -> list[int]:
    """Dilation of each branch's 3×3 kernel, ascending.

    Branch k would see a ``(3 + 2k)``-pixel field (dilation ``k + 1``); fields beyond ``max_receptive`` fall back to
    a plain 3×3 (dilation 1), so deep levels, whose maps are small, do not dilate past their size.
    """
    fields = sorted(f if f <= max_receptive else 3 for f in (3 + 2 * k for k in range(branches)))
    return [(f - 1) // 2 for f in fields]


class EESP(nn.Module):
    """``forward(x: B×in×H×W) -> B×out×H'×W'`` with ``H' = ⌈H/stride⌉``.

    ``merge_only``: return the merged branches before the residual and the activation — the strided unit adds its
    own pooled path and activates the sum itself.
    """

    def __init__(self, in_ch: int, out_ch: int, stride: int = 1, branches: int = 4, max_receptive: int = 7,
                 merge_only: bool = False) -> None:
        super().__init__()
        width = out_ch // branches
        if width * branches != out_ch:
            raise ValueError(f"EESP: {out_ch} output channels do not split into {branches} equal branches")
        self.merge_only = merge_only
        self.proj_1x1 = ConvUnit(in_ch, width, 1, groups=branches)
        self.spp_dw = nn.ModuleList(
            ConvUnit(width, width, 3, stride=stride, dilation=d, groups=width, norm=False, act=False)
            for d in branch_dilations(branches, max_receptive))
        self.conv_1x1_exp = ConvUnit(out_ch, out_ch, 1, groups=branches, act=False)
        self.br_after_cat = NormAct(out_ch)
        self.module_act = nn.PReLU(out_ch)  # present in every checkpoint, unused when merge_only

    def forward(self, x: Tensor) -> Tensor:
        reduced = self.proj_1x1(x)
        branches = [self.spp_dw[0](reduced)]
        for branch in self.spp_dw[1:]:
            branches.append(branch(reduced) + branches[-1])  # hierarchical feature fusion
        merged = self.conv_1x1_exp(self.br_after_cat(torch.cat(branches, dim=1)))
        if self.merge_only:
            return merged
        if merged.shape == x.shape:
            merged = merged + x
        return self.module_act(merged)


class StridedEESP(nn.Module):
    """Halves the resolution: ``[avg-pool(x), EESP_stride2(x)]`` concatenated (``in`` + ``out − in`` channels), plus
    a 3×3 → 1×1 projection of the input image pooled to the same size, then PReLU.

    ``forward(x, image)``: ``image`` is the (normalised) input image already average-pooled to ``⌈H/2⌉×⌈W/2⌉`` of
    ``x``; None skips the shortcut.
    """

    def __init__(self, in_ch: int, out_ch: int, branches: int = 4, max_receptive: int = 9) -> None:
        super().__init__()
        self.eesp = EESP(in_ch, out_ch - in_ch, stride=2, branches=branches, max_receptive=max_receptive,
                         merge_only=True)
        self.avg = nn.AvgPool2d(kernel_size=3, stride=2, padding=1)
        self.inp_reinf = nn.Sequential(ConvUnit(IMAGE_CHANNELS, IMAGE_CHANNELS, 3),
                                       ConvUnit(IMAGE_CHANNELS, out_ch, 1, act=False))
        self.act = nn.PReLU(out_ch)

    def forward(self, x: Tensor, image: Tensor | None = None) -> Tensor:
        out = torch.cat([self.avg(x), self.eesp(x)], dim=1)
        if image is not None:
            out = out + self.inp_reinf(image)
        return self.act(out)
