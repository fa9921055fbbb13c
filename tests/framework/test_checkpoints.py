"""Safe checkpoint loading: weights-only unpickling, wrappers, prefixes and key/shape reports."""
from __future__ import annotations

import logging
import os

import pytest
import torch
from torch import nn

from llie.checkpoints import (load_into, load_pretrained, load_state_dict_file, select_prefix,
                                   strip_prefixes, weights_digest)
from llie.errors import CheckpointError

WHAT = "HRNetPrior.pretrained"


class Payload:
    """Unpickling this would run a shell command that creates a marker file."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def tiny_net() -> nn.Module:
    return nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.Conv2d(4, 2, 1))


def test_malicious_pickle_is_refused_and_not_executed(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pth"
    torch.save({"weight": torch.zeros(2), "payload": Payload(str(marker))}, path)
    with pytest.raises(CheckpointError) as err:
        load_state_dict_file(path, what=WHAT)
    message = str(err.value)
    assert WHAT in message and str(path) in message and "system" in message and "weights_only" in message
    assert "\n" not in message
    assert not marker.exists()


@pytest.mark.parametrize("container", ["legacy_torch", "plain_pickle"])
def test_malicious_pickle_in_other_containers_is_refused(tmp_path, container):
    """Not only torch's zip format: the pre-1.6 torch format and a bare pickle stream must not run code either."""
    import pickle

    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pth"
    payload = {"weight": torch.zeros(2), "payload": Payload(str(marker))}
    if container == "legacy_torch":
        torch.save(payload, path, _use_new_zipfile_serialization=False)
    else:
        path.write_bytes(pickle.dumps(payload, protocol=0))
    with pytest.raises(CheckpointError) as err:
        load_state_dict_file(path, what=WHAT)
    assert str(path) in str(err.value) and "\n" not in str(err.value)
    assert not marker.exists()


def test_empty_file(tmp_path):
    path = tmp_path / "empty.pth"
    path.write_bytes(b"")
    with pytest.raises(CheckpointError, match=r"is empty \(0 bytes\)") as err:
        load_state_dict_file(path, what=WHAT)
    assert str(path) in str(err.value)


def test_pointer_file_names_the_checkpoint_it_points_to(tmp_path):
    real = tmp_path / "iter_4.pth"
    torch.save(tiny_net().state_dict(), real)
    (tmp_path / "last_checkpoint").write_text(str(real))
    with pytest.raises(CheckpointError, match=f"is not a PyTorch checkpoint; it names '{real}'"):
        load_state_dict_file(tmp_path / "last_checkpoint", what="model checkpoint")


def test_missing_trained_checkpoint_does_not_suggest_random_init(tmp_path):
    with pytest.raises(CheckpointError) as err:
        load_state_dict_file(tmp_path / "iter_9.pth", what="model checkpoint")
    assert "does not exist; check the path" in str(err.value) and "pretrained: null" not in str(err.value)


def test_truncated_file(tmp_path):
    path = tmp_path / "cut.pth"
    torch.save(tiny_net().state_dict(), path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="truncated") as err:
        load_state_dict_file(path, what=WHAT)
    assert str(path) in str(err.value)


def test_missing_file_names_key_path_and_fix(tmp_path):
    path = tmp_path / "nowhere" / "w48.pth"
    with pytest.raises(CheckpointError) as err:
        load_state_dict_file(path, what=WHAT)
    message = str(err.value)
    assert WHAT in message and str(path) in message and "does not exist" in message
    assert "pretrained: null" in message


def test_directory_is_not_a_checkpoint(tmp_path):
    with pytest.raises(CheckpointError, match="is a directory"):
        load_state_dict_file(tmp_path, what=WHAT)


@pytest.mark.parametrize("wrap", [
    lambda sd: sd,
    lambda sd: {"meta": {"CLASSES": ("a", "b"), "epoch": 3}, "state_dict": sd},
    lambda sd: {"model": sd, "optimizer": {"lr": 0.1}, "epoch": 7},
    lambda sd: {"module": sd},
    lambda sd: {"state_dict": {"model": sd}},
    lambda sd: {f"module.{k}": v for k, v in sd.items()},
], ids=["plain", "mmseg-meta", "model", "deepspeed-module", "nested", "dataparallel-prefix"])
def test_wrappers_are_unwrapped(tmp_path, wrap):
    sd = tiny_net().state_dict()
    path = tmp_path / "w.pth"
    torch.save(wrap(sd), path)
    loaded = load_state_dict_file(path, what=WHAT)
    assert list(loaded) == list(sd)
    assert all(torch.equal(loaded[k], sd[k]) for k in sd)


def test_not_a_state_dict(tmp_path):
    path = tmp_path / "list.pth"
    torch.save([torch.zeros(1)], path)
    with pytest.raises(CheckpointError, match="not a state_dict"):
        load_state_dict_file(path, what=WHAT)
    torch.save({"weight": torch.zeros(1), "epoch": 3}, path)
    with pytest.raises(CheckpointError, match="epoch"):
        load_state_dict_file(path, what=WHAT)


def test_strip_and_select_prefixes():
    sd = {"backbone.a": torch.zeros(1), "decode_head.b": torch.ones(1), "c": torch.zeros(2)}
    assert list(strip_prefixes(sd, ["backbone.", "decode_head."])) == ["a", "b", "c"]
    assert list(select_prefix(sd, "backbone.")) == ["backbone.a"]


def test_load_into_round_trip():
    src, dst = tiny_net(), tiny_net()
    report = load_into(dst, src.state_dict(), what=WHAT)
    assert report.clean
    assert all(torch.equal(a, b) for a, b in zip(src.state_dict().values(), dst.state_dict().values()))


def test_key_mismatch_message_lists_first_keys_and_counts():
    net = nn.Sequential(*[nn.Linear(2, 2) for _ in range(4)])  # 8 keys
    state = {f"extra.{i}": torch.zeros(1) for i in range(7)}
    state["0.weight"] = torch.zeros(2, 2)
    with pytest.raises(CheckpointError) as err:
        load_into(net, state, what=WHAT)
    message = str(err.value)
    assert WHAT in message
    assert "7 missing (0.bias, 1.weight" in message and "2 more" in message
    assert "7 unexpected (extra.0" in message


def test_shape_mismatch_is_reported_and_non_strict_loads_what_fits(caplog):
    net = nn.Linear(3, 2)
    state = {"weight": torch.zeros(2, 5), "bias": torch.full((2,), 4.0)}
    with pytest.raises(CheckpointError, match=r"1 shape mismatches \(weight: file \[2, 5\] vs model \[2, 3\]\)"):
        load_into(net, state, what=WHAT)
    before = net.weight.detach().clone()
    with caplog.at_level(logging.WARNING):
        report = load_into(net, state, what=WHAT, strict=False)
    assert report.mismatched and torch.equal(net.bias, torch.full((2,), 4.0)) and torch.equal(net.weight, before)
    assert "shape mismatches" in caplog.text


def test_safetensors_round_trip(tmp_path):
    safetensors = pytest.importorskip("safetensors.torch")
    sd = tiny_net().state_dict()
    path = tmp_path / "w.safetensors"
    safetensors.save_file(sd, str(path))
    loaded = load_state_dict_file(path, what=WHAT)
    assert all(torch.equal(loaded[k], sd[k]) for k in sd)
    path.write_bytes(path.read_bytes()[:20])
    with pytest.raises(CheckpointError, match="safetensors"):
        load_state_dict_file(path, what=WHAT)


def test_load_pretrained_random_and_file(tmp_path, caplog):
    net = tiny_net()
    with caplog.at_level(logging.WARNING):
        assert load_pretrained(net, None, what=WHAT) == "random"
    assert "RANDOM" in caplog.text and WHAT in caplog.text
    path = tmp_path / "w.pth"
    source = tiny_net()
    torch.save({"meta": {}, "state_dict": {**source.state_dict(), "auxiliary_head.w": torch.zeros(1)}}, path)
    tag = load_pretrained(net, path, what=WHAT, drop_prefixes=("auxiliary_head.",))
    assert tag == weights_digest(path) and len(tag) == 12
    assert torch.equal(net[0].weight, source[0].weight)


def test_subnormal_weights_are_loaded_as_zeros_and_nothing_else_changes(tmp_path):
    tiny = torch.finfo(torch.float32).tiny
    weight = torch.tensor([tiny / 4, -tiny / 2, tiny, -tiny, 0.5, 0.0])
    path = tmp_path / "w.pth"
    torch.save({"weight": weight, "steps": torch.tensor([3])}, path)
    holder = nn.Module()
    holder.register_buffer("weight", torch.ones(6))
    holder.register_buffer("steps", torch.zeros(1, dtype=torch.long))
    load_pretrained(holder, path, what=WHAT)
    assert holder.weight.tolist() == [0.0, 0.0, tiny, -tiny, 0.5, 0.0]
    assert holder.steps.tolist() == [3]


def test_weights_digest_follows_content(tmp_path):
    path = tmp_path / "w.pth"
    torch.save({"a": torch.zeros(3)}, path)
    first = weights_digest(path)
    torch.save({"a": torch.ones(3)}, path)
    os.utime(path, ns=(1, 10**18))  # make sure the memo key (size, mtime) changes even on coarse clocks
    assert weights_digest(path) != first


@pytest.mark.parametrize("zip_format", [True, False])
def test_memory_mapped_loading_gives_the_same_tensors_for_both_file_formats(tmp_path, zip_format):
    state = {"a.weight": torch.randn(3, 4), "b.bias": torch.arange(5.0)}
    path = tmp_path / "w.pth"
    torch.save({"state_dict": state}, path, _use_new_zipfile_serialization=zip_format)
    loaded = load_state_dict_file(path, what="w", mmap=True)
    assert loaded.keys() == state.keys() and all(torch.equal(loaded[k], v) for k, v in state.items())


def test_an_empty_state_is_refused_unless_allowed(tmp_path):
    path = tmp_path / "untrained.pth"
    torch.save({"state_dict": {}, "meta": {"iter": 0}}, path)
    with pytest.raises(CheckpointError, match="no tensors"):
        load_state_dict_file(path, what="w")
    assert load_state_dict_file(path, what="w", allow_empty=True) == {}
