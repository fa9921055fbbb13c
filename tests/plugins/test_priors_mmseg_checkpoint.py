"""A checkpoint written in mmseg's own format (an mmseg EncoderDecoder saved with torch.save) loads into HRNetPrior."""
from __future__ import annotations

import torch

from llie.registry import build
from llie.plugins.mmseg_priors.base import merge
from llie.plugins.mmseg_priors.configs import build_mmseg_module, load_model_config
from llie.plugins.mmseg_priors.hrnet import HRNetPrior


def test_mmseg_segmentor_checkpoint_loads_into_hrnet_prior(tmp_path):
    variant = HRNetPrior.VARIANTS["tiny"]
    backbone, head = load_model_config(variant.config)
    segmentor = build_mmseg_module({
        "type": "EncoderDecoder",
        "backbone": merge(backbone, variant.backbone),
        "decode_head": merge(head, {**variant.head, "num_classes": 7}),
        "auxiliary_head": None,
    })
    path = tmp_path / "fcn_hr_tiny_pascal_context.pth"
    torch.save({"meta": {"mmseg_version": "1.2.2", "dataset_meta": {"classes": ["a"] * 7}},
                "state_dict": segmentor.state_dict()}, path)

    prior = build("image_priors", {"type": "HRNetPrior", "variant": "tiny", "num_classes": 7, "pretrained": str(path)})
    theirs = segmentor.state_dict()
    for key, value in prior.state_dict().items():
        assert torch.equal(value, theirs[key]), key
    x = torch.rand(1, 3, 64, 64)
    segmentor.eval()
    with torch.no_grad():
        expected = segmentor.decode_head(segmentor.backbone(x))
        got = prior(x).logits
    assert torch.allclose(got, expected, atol=1e-5)
