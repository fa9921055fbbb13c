"""ESPNetv2Prior: layout at any size, frozen, the published checkpoints (key for key), and reproduction of the
authors' outputs (class maps on scikit-image photos, logits on a seeded input). Tests that need the real weights
find them through the zoo and skip with a reason when they are absent."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from llie.checkpoints import compare_keys, load_state_dict_file
from llie.errors import CheckpointError, ConfigError
from llie.registry import build
from llie.zoo import find_local, get_entry
from llie.plugins.espnet_prior.classes import CITYSCAPES_CLASSES, VOC_CLASSES
from llie.plugins.espnet_prior.decoder import resize
from llie.plugins.espnet_prior.eesp import branch_dilations

ZOO = {"voc": "espnetv2_voc", "cityscapes": "espnetv2_cityscapes"}


def make(**kwargs):
    torch.manual_seed(0)
    return build("image_priors", {"type": "ESPNetv2Prior", "pretrained": None, **kwargs})


def weights(dataset: str):
    path = find_local(get_entry(ZOO[dataset]))
    if path is None:
        pytest.skip(f"zoo weights {ZOO[dataset]} not on this machine ($LLIE_WEIGHTS or ../shared/weights)")
    return path


@pytest.fixture(scope="module")
def random_voc():
    return make()


@pytest.mark.parametrize("size", [(64, 96), (67, 45), (33, 17), (5, 3)])
def test_levels_and_logits_follow_the_input_size(random_voc, size):
    h, w = size
    with torch.no_grad():
        out = random_voc(torch.rand(2, 3, h, w))
    assert [s for s, _ in out.levels] == list(random_voc.strides) == [2, 4, 8, 16]
    for (stride, t), channels in zip(out.levels, random_voc.channels):
        assert tuple(t.shape) == (2, channels, math.ceil(h / stride), math.ceil(w / stride))
    assert tuple(out.logits.shape) == (2, 21, h, w) and out.logits_stride == 1
    assert torch.isfinite(out.logits).all()


def test_logits_stride_2_is_the_map_before_the_final_resize():
    full, half = make(), make(logits_stride=2)
    x = torch.rand(1, 3, 40, 56)
    with torch.no_grad():
        a, b = full(x), half(x)
    assert tuple(b.logits.shape) == (1, 21, 20, 28) and b.logits_stride == 2
    assert torch.equal(resize(b.logits, (40, 56)), a.logits)


@pytest.mark.parametrize("scale,channels", [(0.5, (16, 32, 64, 128)), (1.0, (32, 64, 128, 256)),
                                            (2.0, (32, 128, 256, 512))])
def test_width_scales_declare_their_channels(scale, channels):
    prior = make(width_scale=scale, dataset="cityscapes")
    assert prior.channels == channels and prior.num_classes == 20
    with torch.no_grad():
        out = prior(torch.rand(1, 3, 32, 32))
    assert tuple(t.shape[1] for _, t in out.levels) == channels


def test_class_names_match_the_outputs():
    assert make().class_names == VOC_CLASSES and len(VOC_CLASSES) == 21
    assert make(dataset="cityscapes").class_names == CITYSCAPES_CLASSES and len(CITYSCAPES_CLASSES) == 20
    assert VOC_CLASSES[8] == "cat" and VOC_CLASSES[15] == "person" and CITYSCAPES_CLASSES[19] == "background"


def test_branch_dilations_fall_back_to_3x3_past_the_receptive_limit():
    assert branch_dilations(4, 13) == [1, 2, 3, 4]
    assert branch_dilations(4, 7) == [1, 1, 2, 3]  # the 9-pixel branch becomes a plain 3×3, sorted first


def test_resizing_to_the_skip_size_is_the_authors_x2_upsampling_at_multiples_of_16():
    x = torch.randn(2, 5, 6, 10)
    assert torch.equal(resize(x, (12, 20)), F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=True))


def test_frozen_no_weight_gradients_and_eval_mode_kept(random_voc):
    random_voc.train()
    assert not random_voc.training and all(not m.training for m in random_voc.modules())
    assert random_voc.frozen
    stats = {k: v.clone() for k, v in random_voc.state_dict().items() if "running" in k}
    x = torch.rand(1, 3, 32, 48, requires_grad=True)
    out = random_voc(x)
    (out.logits.sum() + sum(t.sum() for _, t in out.levels)).backward()
    assert x.grad is not None and x.grad.abs().sum() > 0  # the semantic loss needs gradients to the input
    assert all(p.grad is None for p in random_voc.parameters())
    assert all(torch.equal(v, random_voc.state_dict()[k]) for k, v in stats.items())  # BN statistics untouched


def test_unfrozen_prior_trains():
    prior = make(frozen=False)
    assert not prior.frozen
    prior.train()
    assert prior.training


@pytest.mark.parametrize("bad,message", [({"dataset": "ade20k"}, "dataset"), ({"width_scale": 3.0}, "width_scale"),
                                         ({"logits_stride": 4}, "logits_stride"), ({"normalize": "clip2"}, "normal")])
def test_bad_arguments_are_one_line_config_errors(bad, message):
    with pytest.raises(ConfigError, match=message):
        make(**bad)


def test_identity_names_dataset_and_weights():
    a, b = make().identity(), make(dataset="cityscapes").identity()
    assert a != b and "dataset=\"voc\"" in a and a.endswith("@random")


# ---- the published weights -------------------------------------------------------------------------------------

@pytest.mark.parametrize("dataset", sorted(ZOO))
def test_published_checkpoint_has_exactly_our_keys(dataset):
    path = weights(dataset)
    report = compare_keys(make(dataset=dataset), load_state_dict_file(path, what="test"))
    assert report.missing == [] and report.unexpected == [] and report.mismatched == []
    prior = make(dataset=dataset, pretrained=ZOO[dataset])
    assert prior.identity().endswith("@" + get_entry(ZOO[dataset]).sha256[:12])


def test_a_checkpoint_of_the_other_dataset_is_refused():
    weights("cityscapes")
    with pytest.raises(CheckpointError, match="bu_dec_l4"):
        make(dataset="voc", pretrained=ZOO["cityscapes"])


#: the authors' forward (EdgeNets @ 2b232d3, model/segmentation/espnetv2.py, run on CPU) on
#: ``torch.manual_seed(0); torch.rand(1, 3, 256, 320)`` normalised with ImageNet mean/std: mean logit per class
AUTHORS_MEAN_LOGITS = {
    "voc": [8.6788, -0.147, -1.8981, 1.7695, -1.1478, 0.3748, -6.0965, 0.1269, 3.4456, 0.1018, -2.047, -0.3374,
            -0.6173, -2.6287, -3.5255, 1.1479, 3.3881, 0.8648, -0.8592, -1.1881, 0.6145],
    "cityscapes": [-1.6253, -8.0782, -4.6034, 0.35, 8.7872, -0.8556, -1.8329, 6.5657, 3.8719, 3.0682, -5.1264,
                   -0.0113, 5.3512, 1.9816, -6.7572, 1.2391, -5.0766, 0.3643, 4.4319, -0.8476],
}


@pytest.mark.parametrize("dataset", sorted(ZOO))
def test_logits_match_the_authors_forward(dataset):
    weights(dataset)
    prior = make(dataset=dataset, pretrained=ZOO[dataset])
    torch.manual_seed(0)
    x = torch.rand(1, 3, 256, 320)
    with torch.no_grad():
        means = prior(x).logits[0].mean(dim=(1, 2))
    assert torch.allclose(means, torch.tensor(AUTHORS_MEAN_LOGITS[dataset]), atol=2e-3)


def photo(name: str) -> torch.Tensor:
    """A scikit-image photo as the authors' test script feeds it: PIL bilinear resize to 384×384, /255."""
    from PIL import Image
    from skimage import data

    image = Image.fromarray(getattr(data, name)()).convert("RGB").resize((384, 384), Image.BILINEAR)
    return torch.from_numpy(np.asarray(image, dtype=np.float32) / 255.0).permute(2, 0, 1).unsqueeze(0)


@pytest.mark.parametrize("name,expected,fraction", [("chelsea", "cat", 0.7866), ("astronaut", "person", 0.4180)])
def test_voc_prior_sees_the_cat_and_the_astronaut(name, expected, fraction):
    weights("voc")
    prior = make(pretrained=ZOO["voc"])
    with torch.no_grad():
        labels = prior(photo(name)).logits[0].argmax(dim=0)
    shares = torch.bincount(labels.flatten(), minlength=21).double() / labels.numel()
    top = int(shares[1:].argmax()) + 1  # the most frequent class other than background
    assert VOC_CLASSES[top] == expected
    assert abs(float(shares[top]) - fraction) < 0.01  # the authors' code gives these fractions on this input
