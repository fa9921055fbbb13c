"""Training checkpoints leave frozen priors out and rebuild them on load: bit-identical, or refused in one line."""
from __future__ import annotations

import copy
from pathlib import Path

import pytest
import torch
import yaml

from llie.config import load_config
from llie.engine.builders import build_model
from llie.engine.frozen_parts import FROZEN_PARTS_KEY, load_checkpoint_into, state_hash
from llie.engine.resume import last_checkpoint
from llie.engine.runner import build_train_runner
from llie.engine.training import load_trained_model, seed_everything, train
from llie.errors import CheckpointError
from test_training import TINY

PRIOR = {"type": "HRNetPrior", "variant": "tiny", "num_classes": 4, "pretrained": None}
TEXT = {"type": "CLIPTextPrior", "model": "llie-tiny-clip", "pretrained": None}
#: the tiny training config of test_training with both priors, a prior-aware enhancer and the losses that use them
PRIORED = {
    **copy.deepcopy(TINY),
    "model": {"image_prior": PRIOR, "text_prior": TEXT,
              "enhancer": {"type": "SemanticAwareEnhancer", "base_channels": 4, "levels": 1, "sem_scales": [1, 2],
                           "block_type": "conv"},
              "losses": [{"type": "PixelLoss"}, {"type": "SemanticLoss", "weight": 1.0},
                         {"type": "MultimodalLoss", "weight": 0.1}]},
}


def config(tmp_path: Path, overrides: list[str] = (), cfg: dict = PRIORED, name: str = "priored.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(cfg))
    return load_config(path, list(overrides))


def save_prior_weights(path: Path, seed: int) -> Path:
    """A weights file for the tiny HRNet prior, as a user's pretrained checkpoint would be."""
    torch.manual_seed(seed)
    prior = build_model({"model": {"image_prior": PRIOR, "enhancer": {"type": "UNet", "base_channels": 4,
                                                                      "depth": 1}}}).image_prior
    for p in prior.parameters():
        p.data.normal_()
    torch.save(prior.state_dict(), path)
    return path


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A short run with both priors, the model it trained (in memory) and its last checkpoint."""
    tmp = tmp_path_factory.mktemp("frozen")
    cfg = config(tmp)
    seed_everything(cfg)
    runner = build_train_runner(cfg, tmp / "work", resume=False, progress=False)
    runner.train()
    return cfg, runner.model.eval(), last_checkpoint(tmp / "work")


def test_frozen_prior_weights_are_absent_from_checkpoints(trained):
    _, model, ckpt = trained
    saved = torch.load(ckpt, weights_only=True)
    assert ckpt.name == "iter_4.pth" and "optimizer" in saved
    assert not [k for k in saved["state_dict"] if k.startswith(("image_prior.", "text_prior."))]
    assert [k for k in saved["state_dict"] if k.startswith("enhancer.")]
    records = saved[FROZEN_PARTS_KEY]
    assert set(records) == {"image_prior", "text_prior"}
    assert records["image_prior"]["class"] == "HRNetPrior" and records["image_prior"]["config"] == PRIOR
    assert records["image_prior"]["identity"] == model.image_prior.identity()
    assert records["text_prior"]["state_hash"] == state_hash(model.text_prior)
    assert records["image_prior"]["weights"] == {"pretrained": None, "file": None, "sha256": None}


def test_a_reloaded_model_is_bit_identical_to_the_trained_one(trained):
    cfg, model, ckpt = trained
    reloaded = load_trained_model(cfg, ckpt)
    trained_state, reloaded_state = model.state_dict(), reloaded.state_dict()
    assert trained_state.keys() == reloaded_state.keys()
    assert all(torch.equal(trained_state[k], reloaded_state[k]) for k in trained_state)
    x = torch.rand(2, 3, 24, 32)
    with torch.no_grad():
        assert torch.equal(model(x, mode="tensor"), reloaded(x, mode="tensor"))
        assert torch.equal(model.text_prior.encode_image(x), reloaded.text_prior.encode_image(x))


def test_random_init_priors_rebuild_from_their_config_whatever_the_run_seed(trained, tmp_path):
    cfg, model, ckpt = trained
    other_seed = config(tmp_path, ["seed=7"])  # e.g. evaluating a sweep cell of another seed
    reloaded = load_trained_model(other_seed, ckpt)
    for slot in ("image_prior", "text_prior"):
        theirs = getattr(reloaded, slot).state_dict()
        assert all(torch.equal(v, theirs[k]) for k, v in getattr(model, slot).state_dict().items()), slot


def test_a_changed_prior_config_is_refused_in_one_line(trained, tmp_path):
    cfg, _, ckpt = trained
    other = config(tmp_path, ["model.image_prior.num_classes=5"])
    with pytest.raises(CheckpointError) as err:
        load_trained_model(other, ckpt)
    message = str(err.value)
    assert "\n" not in message and "model.image_prior" in message and "num_classes=5" in message
    assert "num_classes=4" in message and "random init" in message


def test_a_prior_that_rebuilds_differently_is_refused(trained):
    cfg, _, ckpt = trained
    seed_everything(cfg)
    model = build_model(cfg)
    with torch.no_grad():  # the same identity, other tensors: what a changed library's random init would give
        next(model.text_prior.parameters()).add_(1e-3)
    with pytest.raises(CheckpointError, match=r"model\.text_prior has the same identity but other weights"):
        load_checkpoint_into(model, ckpt, what="model checkpoint")


def test_a_checkpoint_without_a_prior_the_config_no_longer_has_is_refused(trained, tmp_path):
    cfg, _, ckpt = trained
    no_text = config(tmp_path, ["model.text_prior=none", "model.losses.2.weight=0.0"])
    with pytest.raises(CheckpointError, match=r"model\.text_prior is absent in this config"):
        load_trained_model(no_text, ckpt)


def test_other_prior_weights_files_are_refused_and_the_same_file_elsewhere_is_not(tmp_path):
    first = save_prior_weights(tmp_path / "prior_a.pth", seed=1)
    second = save_prior_weights(tmp_path / "prior_b.pth", seed=2)
    cfg_dict = copy.deepcopy(PRIORED)
    cfg_dict["model"]["image_prior"] = {**PRIOR, "pretrained": str(first)}
    cfg_dict["train"].update(max_iters=2, val_interval=2)
    cfg = config(tmp_path, cfg=cfg_dict)
    result = train(cfg, tmp_path / "w", progress=False)
    record = torch.load(result.checkpoint, weights_only=True)[FROZEN_PARTS_KEY]["image_prior"]
    assert record["weights"]["file"] == str(first) and len(record["weights"]["sha256"]) == 64
    moved = tmp_path / "moved" / "prior.pth"
    moved.parent.mkdir()
    moved.write_bytes(first.read_bytes())
    load_trained_model(config(tmp_path, [f"model.image_prior.pretrained={moved}"], cfg=cfg_dict), result.checkpoint)
    with pytest.raises(CheckpointError) as err:
        load_trained_model(config(tmp_path, [f"model.image_prior.pretrained={second}"], cfg=cfg_dict),
                           result.checkpoint)
    assert "\n" not in str(err.value) and str(first) in str(err.value)


def test_resume_rebuilds_the_priors_and_continues(tmp_path):
    work = tmp_path / "work"
    train(config(tmp_path, ["train.max_iters=2", "train.val_interval=2"]), work, progress=False)
    cfg = config(tmp_path)
    result = train(cfg, work, progress=False)  # resumes at iter 2 (a checkpoint without the priors)
    saved = torch.load(result.checkpoint, weights_only=True)
    assert saved["meta"]["iter"] == 4 and set(saved[FROZEN_PARTS_KEY]) == {"image_prior", "text_prior"}
    load_trained_model(cfg, result.checkpoint)


def test_resume_with_another_prior_is_refused(tmp_path):
    work = tmp_path / "work"
    train(config(tmp_path, ["train.max_iters=2", "train.val_interval=2"]), work, progress=False)
    with pytest.raises(CheckpointError, match=r"model\.image_prior is HRNetPrior\(.*normalize=\"imagenet\""):
        train(config(tmp_path, ['+model.image_prior.normalize=imagenet']), work, progress=False)


def test_stages_pass_their_weights_on_without_the_priors(tmp_path):
    cfg_dict = copy.deepcopy(PRIORED)
    cfg_dict["train"]["stages"] = [{"name": "a", "iters": 2, "losses": ["pixel"]},
                                   {"name": "b", "iters": 2, "trainable": ["enhancer"]}]
    cfg = config(tmp_path, cfg=cfg_dict)
    result = train(cfg, tmp_path / "staged", progress=False)
    first = torch.load(tmp_path / "staged" / "stage1_a" / "iter_2.pth", weights_only=True)
    assert set(first[FROZEN_PARTS_KEY]) == {"image_prior", "text_prior"}
    load_trained_model(cfg, result.checkpoint)


def test_a_training_free_model_with_a_prior_saves_an_empty_state(tmp_path):
    cfg_dict = copy.deepcopy(PRIORED)
    cfg_dict["model"] = {"image_prior": PRIOR, "enhancer": {"type": "GammaCorrection", "auto": True}, "losses": []}
    cfg = config(tmp_path, cfg=cfg_dict)
    result = train(cfg, tmp_path / "g", progress=False)
    saved = torch.load(result.checkpoint, weights_only=True)
    assert saved["state_dict"] == {} and set(saved[FROZEN_PARTS_KEY]) == {"image_prior"}
    load_trained_model(cfg, result.checkpoint)


def test_older_checkpoints_holding_the_priors_still_load(trained, tmp_path):
    cfg, model, _ = trained
    full = tmp_path / "full.pth"
    torch.save({"state_dict": model.state_dict(), "meta": {"iter": 4}}, full)
    reloaded = load_trained_model(cfg, full)
    assert all(torch.equal(v, reloaded.state_dict()[k]) for k, v in model.state_dict().items())


def test_a_trainable_prior_is_stored_as_usual(tmp_path):
    cfg = config(tmp_path, ["+model.image_prior.frozen=false", "train.max_iters=2", "train.val_interval=2"])
    result = train(cfg, tmp_path / "w", progress=False)
    saved = torch.load(result.checkpoint, weights_only=True)
    assert [k for k in saved["state_dict"] if k.startswith("image_prior.")]
    assert set(saved[FROZEN_PARTS_KEY]) == {"text_prior"}
    load_trained_model(cfg, result.checkpoint)
