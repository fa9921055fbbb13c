"""The inference build: training-only parts left out, outputs unchanged, precision and layout as asked."""
from __future__ import annotations

import copy

import pytest
import torch

from llie.engine.builders import build_model
from llie.engine.inference import build_inference_model, resolve_memory_format
from llie.engine.training import load_trained_model
from llie.errors import CheckpointError, ConfigError

TINY_DEEPSPG = {
    "seed": 0,
    "model": {
        "type": "SemanticPriorModel",
        "decomposer": {"type": "RetinexNetDecomposer", "channels": 8, "layers": 1},
        "illumination_adjuster": {"type": "LearnedIllumination", "channels": 4},
        "image_prior": {"type": "HRNetPrior", "variant": "tiny", "num_classes": 5, "pretrained": None},
        "text_prior": {"type": "CLIPTextPrior", "model": "llie-tiny-clip", "pretrained": None},
        "enhancer": {"type": "SemanticAwareEnhancer", "base_channels": 8, "levels": 2, "blocks_per_level": 1,
                     "block_type": "mdta", "sem_scales": [1, 2], "use_logits": False},
        "losses": [{"type": "PixelLoss"}, {"type": "EdgeLoss", "weight": 0.1}, {"type": "SemanticLoss"},
                   {"type": "MultimodalLoss"}, {"type": "DecompositionLoss"}],
    },
}


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """(config, checkpoint of the whole training model, input batch): every part, the text prior included."""
    torch.manual_seed(3)
    model = build_model(TINY_DEEPSPG)
    with torch.no_grad():  # non-trivial weights everywhere, so a part left at its init would show
        for p in model.enhancer.parameters():
            p.add_(torch.randn_like(p) * 0.05)
    path = tmp_path_factory.mktemp("ckpt") / "model.pth"
    torch.save({"state_dict": model.state_dict(), "meta": {"iter": 1}}, path)
    assert any(k.startswith("text_prior.") for k in model.state_dict())
    return TINY_DEEPSPG, path, torch.rand(2, 3, 24, 40) * 0.4


def _reference(cfg, ckpt, x):
    model = load_trained_model(cfg, ckpt)
    with torch.no_grad():
        return model(x, mode="tensor")


@pytest.mark.parametrize("memory_format", ["contiguous", "channels_last"])
def test_inference_model_reproduces_the_trained_model_without_training_parts(trained, memory_format):
    cfg, ckpt, x = trained
    runner = build_inference_model(cfg, ckpt, memory_format=memory_format)
    assert runner.model.text_prior is None and len(runner.model.losses) == 0
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in runner.model.image_prior.modules())  # folded
    out = runner(x)
    assert out.dtype == torch.float32 and out.shape == x.shape
    torch.testing.assert_close(out, _reference(cfg, ckpt, x), atol=1e-5, rtol=1e-5)


def test_logits_nobody_reads_are_not_computed(trained):
    cfg, ckpt, x = trained
    calls = []
    runner = build_inference_model(cfg, ckpt)
    runner.model.image_prior.decode_head.register_forward_hook(lambda *a: calls.append(1))
    runner(x)
    assert calls == []  # SEM scales 1 and 2 read strides 4 and 8, not the logits
    routed = copy.deepcopy(cfg)
    routed["model"]["enhancer"]["use_logits"] = True
    torch.manual_seed(0)
    model = build_model(routed)
    path = ckpt.parent / "routed.pth"
    torch.save({"state_dict": model.state_dict()}, path)
    runner = build_inference_model(routed, path)
    runner.model.image_prior.decode_head.register_forward_hook(lambda *a: calls.append(1))
    runner(x)
    assert calls == [1]


def test_checkpoint_must_still_fit_every_part_that_is_built(trained, tmp_path):
    cfg, ckpt, _ = trained
    state = torch.load(ckpt, weights_only=True)["state_dict"]
    state.pop("enhancer.head.weight")
    broken = tmp_path / "broken.pth"
    torch.save({"state_dict": state}, broken)
    with pytest.raises(CheckpointError, match="enhancer.head.weight"):
        build_inference_model(cfg, broken)


def test_prior_weight_files_are_not_read_when_the_checkpoint_holds_them(trained, caplog):
    cfg, ckpt, x = trained
    elsewhere = copy.deepcopy(cfg)
    elsewhere["model"]["image_prior"]["pretrained"] = "/nowhere/hrnet.pth"  # training machine's path
    with caplog.at_level("WARNING"):
        runner = build_inference_model(elsewhere, ckpt)
    assert "RANDOM" not in caplog.text
    torch.testing.assert_close(runner(x), build_inference_model(cfg, ckpt)(x))
    with pytest.raises(CheckpointError, match="hrnet.pth"):  # without a checkpoint the file is needed again
        build_inference_model(elsewhere)


def test_bf16_prior_changes_features_a_little_and_stores_weights_in_bf16(trained):
    cfg, ckpt, x = trained
    fp32 = build_inference_model(cfg, ckpt)
    reduced_cfg = copy.deepcopy(cfg)
    reduced_cfg["model"]["prior_precision"] = "bf16"
    bf16 = build_inference_model(reduced_cfg, ckpt)
    assert bf16.settings["prior_precision"] == "bf16"
    prior = bf16.model.image_prior
    assert prior.backbone.conv1.weight.dtype == torch.bfloat16
    assert all(p.dtype == torch.float32 for p in bf16.model.enhancer.parameters())
    with torch.inference_mode():
        a = fp32.model.prior_features(x).levels[0][1]
        b = bf16.model.prior_features(x).levels[0][1]
    assert b.dtype == torch.float32 and not torch.equal(a, b)
    assert (a - b).norm() / a.norm() < 0.05
    out_fp32, out_bf16 = fp32(x), bf16(x)
    assert not torch.equal(out_fp32, out_bf16)
    torch.testing.assert_close(out_bf16, out_fp32, atol=0.05, rtol=0)


def test_prior_precision_is_validated_and_training_keeps_float32(trained):
    cfg = copy.deepcopy(trained[0])
    cfg["model"]["prior_precision"] = "int8"
    with pytest.raises(ConfigError, match="prior_precision"):
        build_model(cfg)
    cfg["model"]["prior_precision"] = "bf16"
    model = build_model(cfg).train()
    features = model.prior_features(trained[2])
    assert features.levels[0][1].dtype == torch.float32
    assert all(p.dtype == torch.float32 for p in model.parameters())


def test_whole_model_bf16_returns_float32_close_to_fp32(trained):
    cfg, ckpt, x = trained
    out = build_inference_model(cfg, ckpt, precision="bf16")(x)
    assert out.dtype == torch.float32
    torch.testing.assert_close(out, build_inference_model(cfg, ckpt)(x), atol=0.1, rtol=0)
    with pytest.raises(ConfigError, match="precision"):
        build_inference_model(cfg, ckpt, precision="fp8")


def test_auto_layout_is_channels_last_on_cpu_only():
    assert resolve_memory_format("auto", "cpu") == torch.channels_last
    assert resolve_memory_format("auto", "cuda") == torch.contiguous_format
    assert resolve_memory_format("contiguous", "cpu") == torch.contiguous_format
    with pytest.raises(ConfigError):
        resolve_memory_format("nhwc", "cpu")


def test_training_free_method_loads_its_empty_checkpoint(tmp_path):
    cfg = {"model": {"type": "SemanticPriorModel", "enhancer": {"type": "GammaCorrection", "auto": True}}}
    path = tmp_path / "untrained.pth"
    torch.save({"state_dict": {}, "meta": {"iter": 0, "trainable": False}}, path)
    x = torch.rand(1, 3, 16, 16) * 0.3
    assert build_inference_model(cfg, path)(x).mean() > x.mean()
    with pytest.raises(CheckpointError, match="does not exist"):
        build_inference_model(cfg, tmp_path / "missing.pth")
