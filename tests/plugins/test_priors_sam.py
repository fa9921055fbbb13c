"""SAMPrior specifics: SAM checkpoint layouts, other encoder sizes, output stride."""
from __future__ import annotations

import math

import pytest
import torch

from llie.errors import CheckpointError, ConfigError
from llie.plugins.sam_prior import SAMPrior
from llie.plugins.sam_prior.encoder import fit_to_input_size, resize_longest_side


@pytest.fixture(scope="module")
def tiny():
    torch.manual_seed(0)
    return SAMPrior(variant="tiny")


def test_checkpoint_from_another_input_size_is_adapted(tiny, tmp_path):
    path = tmp_path / "sam_tiny_64.pth"
    torch.save(tiny.state_dict(), path)
    bigger = SAMPrior(variant="tiny", img_size=128, pretrained=str(path))
    pos = bigger.image_encoder.pos_embed
    assert pos.shape == (1, 8, 8, 32)
    assert torch.equal(bigger.image_encoder.patch_embed.proj.weight, tiny.image_encoder.patch_embed.proj.weight)
    with torch.no_grad():
        out = bigger(torch.rand(1, 3, 50, 70))
    assert out.levels[0][1].shape == (1, 32, math.ceil(50 / 16), math.ceil(70 / 16))


def test_fit_to_input_size_touches_only_position_tables(tiny):
    state = tiny.state_dict()
    bigger = SAMPrior(variant="tiny", img_size=96)
    fitted = fit_to_input_size(state, bigger)
    changed = {k for k in state if fitted[k].shape != state[k].shape}
    assert changed and all(k.endswith(("pos_embed", "rel_pos_h", "rel_pos_w")) for k in changed)
    assert all(fitted[k].shape == bigger.state_dict()[k].shape for k in fitted)


def test_bare_encoder_state_dict_loads(tiny, tmp_path):
    path = tmp_path / "encoder.pth"
    torch.save(tiny.image_encoder.state_dict(), path)
    loaded = SAMPrior(variant="tiny", pretrained=str(path))
    assert all(torch.equal(a, b) for a, b in zip(loaded.state_dict().values(), tiny.state_dict().values()))


def test_sam_file_without_encoder_is_rejected(tmp_path):
    path = tmp_path / "decoder_only.pth"
    torch.save({"mask_decoder.iou_token.weight": torch.zeros(1, 256)}, path)
    with pytest.raises(CheckpointError, match="without image_encoder"):
        SAMPrior(variant="tiny", pretrained=str(path))


def test_output_stride_is_configurable(tiny):
    prior = SAMPrior(variant="tiny", out_stride=8)
    with torch.no_grad():
        (stride, feat), = prior(torch.rand(1, 3, 40, 72)).levels
    assert stride == 8 and prior.strides == (8,) and feat.shape[-2:] == (5, 9)


def test_features_are_the_encoder_tokens_covering_the_image(tiny):
    """SAM pads bottom/right; the level is the top-left token block that covers the image, padding cropped."""
    x = torch.rand(1, 3, 32, 64)  # longest side is already 64: the bottom half of the 64² encoder input is padding
    with torch.no_grad():
        level = tiny(x).levels[0][1]
        normalised = (x - tiny.normalizer.mean) / tiny.normalizer.std
        tokens = tiny.image_encoder(torch.nn.functional.pad(normalised, (0, 0, 0, 32)))
    assert tokens.shape[-2:] == (4, 4)
    assert torch.allclose(level, tokens[..., :2, :4])


@pytest.mark.parametrize("size", [0, 40])
def test_bad_img_size(size):
    with pytest.raises(ConfigError, match="img_size"):
        SAMPrior(variant="tiny", img_size=size)


def test_resize_longest_side_keeps_aspect_and_gradients():
    x = torch.rand(1, 3, 60, 90, requires_grad=True)
    y = resize_longest_side(x, 64)
    assert y.shape[-2:] == (43, 64)
    y.sum().backward()
    assert x.grad.abs().sum() > 0
