"""Training performance options: each builds and runs one training step on CPU through build_train_runner."""
from __future__ import annotations

import os

import pytest
import torch
import yaml
from mmengine.hooks import Hook
from torch import nn

from llie.config import load_config, to_plain
from llie.engine.builders import build_model
from llie.engine.perf import (AutocastOptimWrapper, ReducedPrecisionPriorHook, amp_dtype, apply_model_options,
                                   detach_features, enabled_options, frozen_prior_context,
                                   install_reduced_precision_prior, optim_wrapper_cfg, performance_hooks,
                                   uninstall_reduced_precision_prior)
from llie.engine.runner import build_train_runner
from llie.errors import ConfigError
from llie.interfaces import ImagePrior, PriorFeatures
from llie.registry import build

TINY = {
    "experiment": {"name": "perf_tiny"},
    "model": {"type": "SemanticPriorModel", "enhancer": {"type": "UNet", "base_channels": 4, "depth": 1},
              "losses": [{"type": "PixelLoss", "kind": "charbonnier"}]},
    "data": {"batch_size": 2, "num_workers": 0,
             "train": {"type": "SyntheticPairs", "split": "train", "image_size": 32, "variants_per_image": 1,
                       "crop_size": 16, "photos": ["astronaut", "chelsea"]},
             "val": {"type": "SyntheticPairs", "split": "test", "image_size": 32, "variants_per_image": 1,
                     "photos": ["coffee"]}},
    "train": {"max_iters": 1, "val_interval": 1000, "checkpoint_interval": 1000, "log_interval": 1,
              "optimizer": {"type": "AdamW", "lr": 0.01}},
}


def tiny_cfg(tmp_path, **train):
    cfg = yaml.safe_load(yaml.safe_dump(TINY))
    cfg["train"].update(train)
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return load_config(path)


def wired_runner(cfg, work_dir, model=None, compile_kwargs=None):
    """What build_train_runner does once wired: model options, the optim wrapper and hooks from the train section."""
    train = to_plain(cfg.train)
    model = apply_model_options(model if model is not None else build_model(cfg), train, "cpu", compile_kwargs)
    runner = build_train_runner(cfg, work_dir, resume=False, progress=False, model=model)
    runner.optim_wrapper = optim_wrapper_cfg(train, "cpu")
    for hook in performance_hooks(train, "cpu"):
        runner.register_hook(hook)
    return runner


def train_steps(cfg, work_dir, model=None, compile_kwargs=None):
    runner = wired_runner(cfg, work_dir, model, compile_kwargs)
    runner.train()
    return runner


def snapshot(module):
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def changed(before, module):
    return any(not torch.equal(before[k], v) for k, v in module.state_dict().items() if k in before)


# ---- configuration parsing ---------------------------------------------------------------------------------------
def test_everything_is_off_by_default():
    assert amp_dtype({}, "cpu") is None
    assert optim_wrapper_cfg({}, "cpu")["type"] == "OptimWrapper"
    assert enabled_options({}) == {"amp": False, "channels_last": False, "compile": False, "accumulate_grad": 1,
                                   "num_workers": 0, "pin_memory": False, "persistent_workers": False}
    model = nn.Conv2d(3, 3, 1)
    assert apply_model_options(model, {}, "cpu") is model


def test_amp_values_map_to_dtypes_and_wrappers():
    assert amp_dtype({"amp": True}, "cpu") is torch.bfloat16
    assert amp_dtype({"amp": "bf16"}, "cpu") is torch.bfloat16
    assert amp_dtype({"amp": "fp16"}, "cuda") is torch.float16
    cpu = optim_wrapper_cfg({"amp": "bf16"}, "cpu")
    assert cpu["type"] is AutocastOptimWrapper and cpu["dtype"] is torch.bfloat16
    cuda = optim_wrapper_cfg({"amp": "fp16", "accumulate_grad": 4, "grad_clip": {"max_norm": 1.0}}, "cuda")
    assert cuda["type"] == "AmpOptimWrapper" and cuda["dtype"] == "float16"
    assert cuda["accumulative_counts"] == 4 and cuda["clip_grad"] == {"max_norm": 1.0}


@pytest.mark.parametrize("value, message", [("fp16", "needs a CUDA GPU"), ("fp8", "unknown value")])
def test_bad_amp_values_fail_clearly(value, message):
    with pytest.raises(ConfigError, match=message):
        amp_dtype({"amp": value}, "cpu")


# ---- one training step per option --------------------------------------------------------------------------------
def test_bf16_autocast_trains_one_step_on_cpu(tmp_path):
    cfg = tiny_cfg(tmp_path, amp="bf16")
    model = build_model(cfg)
    seen = []
    model.enhancer.head.register_forward_hook(lambda m, i, o: seen.append(o.dtype) if m.training else None)
    before = snapshot(model.enhancer)
    runner = train_steps(cfg, tmp_path / "run", model)
    assert isinstance(runner.optim_wrapper, AutocastOptimWrapper)
    assert seen == [torch.bfloat16]
    assert changed(before, model.enhancer)
    assert all(p.dtype == torch.float32 for p in model.parameters())  # master weights stay fp32


def test_channels_last_trains_one_step(tmp_path):
    cfg = tiny_cfg(tmp_path, channels_last=True)
    model = build_model(cfg)
    before = snapshot(model.enhancer)
    train_steps(cfg, tmp_path / "run", model)
    weight = model.enhancer.stem[0].weight
    assert weight.is_contiguous(memory_format=torch.channels_last) and not weight.is_contiguous()
    assert changed(before, model.enhancer)


def test_gradient_accumulation_steps_every_k_iterations(tmp_path):
    cfg = tiny_cfg(tmp_path, accumulate_grad=2, max_iters=4)
    model = build_model(cfg)
    runner = wired_runner(cfg, tmp_path / "run", model)
    stepped = []

    class Watch(Hook):
        def before_train_iter(self, runner, batch_idx, data_batch=None):
            self.before = snapshot(model.enhancer)

        def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
            stepped.append(changed(self.before, model.enhancer))

    runner.register_hook(Watch(), priority="LOWEST")
    runner.train()
    assert runner.optim_wrapper._accumulative_counts == 2
    assert stepped == [False, True, False, True]


def test_compile_wraps_the_enhancer_in_place_and_trains(tmp_path):
    """Dynamo capture with the 'aot_eager' backend (forward and backward graphs, no code generation); inductor's C++
    compilation is exercised by test_inductor_compile_of_the_enhancer."""
    cfg = tiny_cfg(tmp_path, compile=True)
    model = build_model(cfg)
    keys = list(model.state_dict())
    before = snapshot(model.enhancer)
    train_steps(cfg, tmp_path / "run", model, compile_kwargs={"backend": "aot_eager"})
    assert list(model.state_dict()) == keys  # checkpoints keep their keys
    assert model.enhancer._compiled_call_impl is not None
    assert changed(before, model.enhancer)


@pytest.mark.skipif(not os.environ.get("LLIE_TEST_COMPILE"),
                    reason="inductor compiles C++ kernels: ~70 s for the tiny U-Net on a 2-core CPU, too slow for "
                           "CI; set LLIE_TEST_COMPILE=1 to run")
def test_inductor_compile_of_the_enhancer(tmp_path):
    cfg = tiny_cfg(tmp_path, compile=True)
    model = build_model(cfg)
    before = snapshot(model.enhancer)
    train_steps(cfg, tmp_path / "run", model)
    assert changed(before, model.enhancer)


# ---- frozen priors in reduced precision --------------------------------------------------------------------------
class TwoLevelPrior(ImagePrior):
    """A frozen two-level prior (strides 2 and 4) recording how it was run."""

    strides = (2, 4)
    channels = (4, 8)

    def __init__(self) -> None:
        super().__init__()
        self.a = nn.Conv2d(3, 4, 3, stride=2, padding=1)
        self.b = nn.Conv2d(4, 8, 3, stride=2, padding=1)
        self.calls: list[tuple[torch.dtype, bool]] = []
        self.freeze()

    def forward(self, x):
        f1 = self.a(x)
        self.calls.append((f1.dtype, torch.is_inference_mode_enabled()))
        return PriorFeatures([(2, f1), (4, self.b(f1))])


def prior_model():
    return build("models", {
        "type": "SemanticPriorModel", "image_prior": {"type": TwoLevelPrior},
        "enhancer": {"type": "SemanticAwareEnhancer", "base_channels": 8, "levels": 2, "blocks_per_level": 1,
                     "block_type": "conv", "sem_scales": [2, 4]},
        "losses": [{"type": "PixelLoss", "kind": "charbonnier"}]})


def test_frozen_prior_runs_in_inference_mode_and_bf16_while_training_with_amp(tmp_path):
    cfg = tiny_cfg(tmp_path, amp="bf16", max_iters=2, val_interval=2)
    model = prior_model()
    prior_before, enhancer_before = snapshot(model.image_prior), snapshot(model.enhancer)
    runner = train_steps(cfg, tmp_path / "run", model)
    assert any(isinstance(h, ReducedPrecisionPriorHook) for h in runner.hooks)
    calls = model.image_prior.calls
    assert calls[:2] == [(torch.bfloat16, True)] * 2  # the two training iterations
    assert calls[2:] and all(c == (torch.float32, False) for c in calls[2:])  # validation at full precision
    assert not changed(prior_before, model.image_prior)
    assert changed(enhancer_before, model.enhancer)  # the features fed a trainable SEM through autograd
    assert model.prior_feature_fn is None  # removed after training


def test_no_prior_hook_without_amp():
    assert performance_hooks({}, "cpu") == []
    assert isinstance(performance_hooks({"amp": True}, "cpu")[0], ReducedPrecisionPriorHook)


def test_reduced_precision_features_are_ordinary_float32_tensors():
    model = prior_model().train()
    assert install_reduced_precision_prior(model, torch.bfloat16, "cpu")
    assert not install_reduced_precision_prior(model, torch.bfloat16, "cpu")  # never wrapped twice
    features = model.prior_features(torch.rand(1, 3, 16, 16))
    for _, t in features.levels:
        assert t.dtype == torch.float32 and not t.is_inference()
    with frozen_prior_context(None):
        raw = model.image_prior(torch.rand(1, 3, 16, 16))
    assert raw.levels[0][1].is_inference() and not detach_features(raw).levels[0][1].is_inference()
    model.eval()
    model.prior_features(torch.rand(1, 3, 16, 16))
    assert model.image_prior.calls[-1] == (torch.float32, False)  # evaluation keeps full precision
    assert uninstall_reduced_precision_prior(model) and model.prior_feature_fn is None


def test_a_trainable_prior_is_left_to_autograd():
    model = prior_model().train()
    for p in model.image_prior.parameters():
        p.requires_grad_(True)
    install_reduced_precision_prior(model, torch.bfloat16, "cpu")
    features = model.prior_features(torch.rand(1, 3, 16, 16))
    assert features.levels[0][1].requires_grad
    assert model.image_prior.calls[-1] == (torch.float32, False)


def test_a_cache_attached_first_is_wrapped_and_restored():
    model = prior_model().train()
    seen = []

    def cache(prior, low, names):
        seen.append(names)
        return prior(low)

    model.prior_feature_fn = cache
    install_reduced_precision_prior(model, torch.bfloat16, "cpu")
    model.prior_features(torch.rand(1, 3, 16, 16), ["a"])
    assert seen == [["a"]] and model.image_prior.calls[-1] == (torch.bfloat16, True)
    uninstall_reduced_precision_prior(model)
    assert model.prior_feature_fn is cache


def test_with_the_prior_cache_the_cache_is_wrapped_during_training_and_detached_after(tmp_path):
    cfg = tiny_cfg(tmp_path, amp="bf16", max_iters=2, val_interval=2)
    cfg.prior_cache = {"root": str(tmp_path / "cache"), "mode": "exact"}
    model = prior_model()
    seen = []

    class Watch(Hook):
        def before_train_iter(self, runner, batch_idx, data_batch=None):
            fn = model.prior_feature_fn
            seen.append((getattr(fn, "reduced_precision", False), type(getattr(fn, "inner", None)).__name__))

    runner = wired_runner(cfg, tmp_path / "run", model)
    runner.register_hook(Watch(), priority="LOWEST")
    runner.train()
    assert seen == [(True, "PriorCache")] * 2
    assert model.prior_feature_fn is None
