"""The small convolution units ESPNetv2 is built from.

Their attribute names are the published checkpoints' key names, which come in two spellings: the encoder's units
name their parts ``conv`` / ``bn`` / ``act``; the decoder's keep them in a sequence called ``cbr`` (conv, norm,
PReLU) or ``br`` (norm, PReLU). Every convolution is bias-free and padded to keep the size ("same" padding, scaled by
the dilation), every activation a per-channel PReLU.
"""
from __future__ import annotations

from torch import Tensor, nn


def conv(in_ch: int, out_ch: int, kernel: int, stride: int = 1, dilation: int = 1, groups: int = 1,
         bias: bool = False) -> nn.Conv2d:
    return nn.Conv2d(in_ch, out_ch, kernel, stride=stride, padding=(kernel - 1) // 2 * dilation, dilation=dilation,
                     groups=groups, bias=bias)


class ConvUnit(nn.Module):
    """Convolution, optionally followed by batch norm (``bn``) and PReLU (``act``) — the encoder's spelling."""

    def __init__(self, in_ch: int, out_ch: int, kernel: int, stride: int = 1, dilation: int = 1, groups: int = 1,
                 norm: bool = True, act: bool = True) -> None:
        super().__init__()
        self.conv = conv(in_ch, out_ch, kernel, stride, dilation, groups)
        if norm:
            self.bn = nn.BatchNorm2d(out_ch)
        if act:
            self.act = nn.PReLU(out_ch)

    def forward(self, x: Tensor) -> Tensor:
        x = self.conv(x)
        if hasattr(self, "bn"):
            x = self.bn(x)
        return self.act(x) if hasattr(self, "act") else x


class NormAct(nn.Module):
    """Batch norm then PReLU, as two attributes ``bn`` / ``act`` (the encoder's spelling)."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.bn = nn.BatchNorm2d(channels)
        self.act = nn.PReLU(channels)

    def forward(self, x: Tensor) -> Tensor:
        return self.act(self.bn(x))


class SeqConvUnit(nn.Module):
    """Convolution, batch norm, PReLU in one sequence ``cbr`` (the decoder's spelling)."""

    def __init__(self, in_ch: int, out_ch: int, kernel: int, groups: int = 1) -> None:
        super().__init__()
        self.cbr = nn.Sequential(conv(in_ch, out_ch, kernel, groups=groups), nn.BatchNorm2d(out_ch), nn.PReLU(out_ch))

    def forward(self, x: Tensor) -> Tensor:
        return self.cbr(x)


class SeqNormAct(nn.Module):
    """Batch norm then PReLU in one sequence ``br`` (the decoder's spelling)."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.br = nn.Sequential(nn.BatchNorm2d(channels), nn.PReLU(channels))

    def forward(self, x: Tensor) -> Tensor:
        return self.br(x)


class ChannelShuffle(nn.Module):
    """Interleave ``groups`` blocks of channels: ``[a0 a1 … b0 b1 …]`` → ``[a0 b0 … a1 b1 …]``."""

    def __init__(self, groups: int) -> None:
        super().__init__()
        self.groups = groups

    def forward(self, x: Tensor) -> Tensor:
        b, c, h, w = x.shape
        return x.reshape(b, self.groups, c // self.groups, h, w).transpose(1, 2).reshape(b, c, h, w)
