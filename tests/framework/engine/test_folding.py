"""Folding eval-mode BatchNorm into the preceding convolution: same outputs, fewer layers, undone when wrong."""
from __future__ import annotations

import torch
from torch import nn

from llie.engine.folding import fold_batch_norms, fold_batch_norms_checked


def _with_statistics(module: nn.Module) -> nn.Module:
    """Non-trivial running statistics and affine parameters (the defaults would make BN the identity)."""
    with torch.no_grad():
        for m in module.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.2, 2.0)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.3, 0.3)
    return module.eval()


class PreNorm(nn.Module):
    """Registers conv before BN but applies BN first: registration order alone would fold it wrongly."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(4, 4, 3, padding=1)
        self.bn = nn.BatchNorm2d(4)

    def forward(self, x):
        return self.conv(self.bn(x))


def test_folded_block_gives_the_same_output_with_fewer_layers():
    torch.manual_seed(0)
    block = _with_statistics(nn.Sequential(nn.Conv2d(3, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU(),
                                           nn.Sequential(nn.Conv2d(8, 4, 1), nn.BatchNorm2d(4))))
    x = torch.randn(2, 3, 9, 11)
    with torch.no_grad():
        expected = block(x)
        assert fold_batch_norms(block) == 2
        torch.testing.assert_close(block(x), expected, atol=1e-5, rtol=1e-5)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in block.modules())
    assert not any(p.requires_grad for p in block.parameters())


def test_batch_norm_in_training_mode_is_left_alone():
    block = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4)).train()
    assert fold_batch_norms(block) == 0 and isinstance(block[1], nn.BatchNorm2d)


def test_a_fold_that_changes_the_outputs_is_undone():
    torch.manual_seed(1)
    module = _with_statistics(PreNorm())
    x = torch.randn(1, 4, 6, 6)
    with torch.no_grad():
        expected = module(x)
    assert fold_batch_norms_checked(module, lambda m: [m(x)]) == 0
    assert isinstance(module.bn, nn.BatchNorm2d) and module.conv.bias is not None
    with torch.no_grad():
        torch.testing.assert_close(module(x), expected)


def test_hrnet_prior_folds_every_batch_norm_and_keeps_its_features():
    from llie.registry import build

    prior = _with_statistics(build("image_priors", {"type": "HRNetPrior", "variant": "tiny", "num_classes": 5,
                                                    "pretrained": None}))
    x = torch.rand(1, 3, 32, 48)

    def outputs(m):
        features = m(x)
        return [t for _, t in features.levels] + [features.logits]

    with torch.no_grad():
        expected = [t.clone() for t in outputs(prior)]
    assert fold_batch_norms_checked(prior, outputs) > 0
    assert not any(isinstance(m, nn.BatchNorm2d) for m in prior.modules())
    with torch.no_grad():
        for a, b in zip(outputs(prior), expected):
            torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-4)
