"""Training checkpoints hold what was trained: frozen priors are rebuilt from their config and weights, not stored.

A frozen HRNet-W48 image prior and CLIP ViT-B/32 text prior are ~217 M parameters nobody trains; stored in every
checkpoint they made a 2-iteration DeepSPG run write 860 MiB, and a sweep hundreds of GB of copies. A part is
*rebuilt* when it sits in one of the model's ``REBUILT_PARTS`` slots (built from its config by ``build_frozen_part``,
random inits seeded by that config), none of its parameters requires grad and none of its modules is in training
mode (so no running statistic can drift from the rebuilt copy). Its tensors are left out of the checkpoint, which
records instead what rebuilds it (:func:`part_record`): class, config, identity (class + config + weights tag), the
``pretrained`` value (zoo name or file) with the file's sha256, and a hash of every tensor of the part.

Loading (:func:`complete_state`) rebuilds nothing itself — the model built from the config already holds the parts —
but checks each recorded part against the model's and fills the checkpoint's state dict with the model's own
tensors, so the load stays strict. Any difference (other weights, another config, a library change that alters a
random init) is refused in one line naming the part, what the checkpoint was trained with and what to do.
"""
from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mmengine.hooks import Hook
from torch import Tensor, nn

from ..checkpoints import StateDict, load_into, read_checkpoint, unwrap_state_dict, weights_digest
from ..errors import CheckpointError

#: top-level checkpoint key holding {slot: record} of the parts left out of ``state_dict``
FROZEN_PARTS_KEY = "frozen_parts"


def bare_model(model: nn.Module) -> nn.Module:
    """The model inside a distributed wrapper (mmengine's ``MMDistributedDataParallel`` and the like)."""
    from mmengine.model import is_model_wrapper

    return model.module if is_model_wrapper(model) else model


def rebuilt_parts(model: nn.Module) -> dict[str, nn.Module]:
    """``{slot: module}`` of the parts a checkpoint leaves out (frozen, in eval mode, holding state)."""
    model = bare_model(model)
    parts = {}
    for slot in getattr(model, "REBUILT_PARTS", ()):
        part = getattr(model, slot, None)
        if not isinstance(part, nn.Module) or not part.state_dict():
            continue
        if any(p.requires_grad for p in part.parameters()) or any(m.training for m in part.modules()):
            continue  # trained, or able to change (e.g. BatchNorm statistics in training mode): stored as usual
        parts[slot] = part
    return parts


def state_hash(part: nn.Module) -> str:
    """sha256 of every tensor of ``part`` (see :func:`llie.cache.keys.weights_hash`), memoised while none of them is
    replaced or changed in place (tensor version counters), so saving every N iterations hashes a prior once."""
    from ..cache.keys import weights_hash

    stamp = tuple((k, v.data_ptr(), v._version, str(v.device)) for k, v in part.state_dict().items())
    memo = part.__dict__.get("_llie_state_hash")
    if memo is None or memo[0] != stamp:
        memo = (stamp, weights_hash(part, algorithm="sha256"))
        part.__dict__["_llie_state_hash"] = memo
    return memo[1]


def identity_of(part: nn.Module) -> str:
    identity = getattr(part, "identity", None)
    return identity() if callable(identity) else type(part).__name__


def _plain(value: Any) -> Any:
    """JSON types only, so the record loads with ``torch.load(weights_only=True)``."""
    return json.loads(json.dumps(value, default=str))


def _weights_source(cfg: Any, what: str) -> dict[str, Any]:
    from ..zoo import resolve_weights

    pretrained = cfg.get("pretrained") if isinstance(cfg, Mapping) else None
    if pretrained is None:
        return {"pretrained": None, "file": None, "sha256": None}
    file = resolve_weights(pretrained, what=what)
    return {"pretrained": str(pretrained), "file": str(file), "sha256": weights_digest(file, length=64)}


def part_record(model: nn.Module, slot: str) -> dict[str, Any]:
    """What rebuilds ``model.<slot>`` and how to tell the rebuilt copy is the same."""
    model = bare_model(model)
    part = getattr(model, slot)
    cfg = (getattr(model, "part_configs", None) or {}).get(slot)
    return {"class": type(part).__name__, "config": _plain(cfg), "identity": identity_of(part),
            "weights": _weights_source(cfg, f"{type(part).__name__}.pretrained"), "state_hash": state_hash(part),
            "tensors": len(part.state_dict())}


def trained_state(model: nn.Module, state: Mapping[str, Tensor] | None = None) -> tuple[StateDict, dict]:
    """``(state without the rebuilt parts, {slot: record})`` — what a training checkpoint stores."""
    parts = rebuilt_parts(model)
    state = dict(bare_model(model).state_dict() if state is None else state)
    prefixes = tuple(f"{slot}." for slot in parts)
    kept = {k: v for k, v in state.items() if not k.startswith(prefixes)} if prefixes else state
    return kept, {slot: part_record(model, slot) for slot in parts}


def _refusal(source: str, slot: str, record: Mapping[str, Any], problem: str) -> CheckpointError:
    weights = record.get("weights") or {}
    trained_with = weights.get("pretrained") or "a random init (pretrained: null)"
    sha = f" (sha256 {weights['sha256'][:12]})" if weights.get("sha256") else ""
    return CheckpointError(
        f"checkpoint '{source}': model.{slot} {problem}; the checkpoint does not store it and was trained with "
        f"{record.get('identity')} from {trained_with}{sha} — point model.{slot} at those weights and that config "
        f"(or load a file written by `llie export`, which carries them)")


def check_parts(model: nn.Module, records: Mapping[str, Any], source: str) -> dict[str, nn.Module]:
    """The model's rebuilt parts named by ``records``, each checked to be the part the checkpoint was trained with."""
    parts = rebuilt_parts(model)
    for slot, record in records.items():
        part = parts.get(slot)
        if part is None:
            present = getattr(bare_model(model), slot, None)
            state = "is absent" if present is None or not present.state_dict() else "is not frozen"
            raise _refusal(source, slot, record, f"{state} in this config")
        identity = identity_of(part)
        if identity != record.get("identity"):
            raise _refusal(source, slot, record, f"is {identity} in this config")
        if state_hash(part) != record.get("state_hash"):
            raise _refusal(source, slot, record, "has the same identity but other weights once built (a changed "
                           "prior implementation or library version rebuilds it differently)")
    return parts


def complete_state(model: nn.Module, state: Mapping[str, Tensor], records: Mapping[str, Any] | None,
                   source: str) -> StateDict:
    """``state`` plus the tensors of the parts ``records`` says were left out, taken from ``model`` after checking
    they are the parts the checkpoint was trained with."""
    state = dict(state)
    if not records:
        return state
    for slot, part in check_parts(model, records, source).items():
        state.update({f"{slot}.{k}": v for k, v in part.state_dict().items()})
    return state


def read_trained_state(path: str | os.PathLike[str], *, what: str, mmap: bool = False,
                       allow_empty: bool = False) -> tuple[StateDict, dict | None]:
    """``(state_dict, frozen-part records or None)`` of a checkpoint file (weights-only). ``mmap`` and
    ``allow_empty``: see :func:`llie.checkpoints.load_state_dict_file`."""
    obj = read_checkpoint(path, what=what, mmap=mmap)
    records = obj.get(FROZEN_PARTS_KEY) if isinstance(obj, Mapping) else None
    # with records, an empty state is a model whose every part is rebuilt
    state = unwrap_state_dict(obj, what=what, source=Path(path), allow_empty=allow_empty or bool(records))
    return state, (dict(records) if records else None)


def load_checkpoint_into(model: nn.Module, path: str | os.PathLike[str], *, what: str) -> None:
    """Strictly load a training (or exported, or older full) checkpoint into ``model``, checking its rebuilt parts."""
    state, records = read_trained_state(path, what=what)
    load_into(bare_model(model), complete_state(model, state, records, str(path)), what=f"{what} {path}",
              strict=True)


class FrozenPartsCheckpointHook(Hook):
    """Leaves the rebuilt parts out of every checkpoint mmengine saves, and checks them back in on resume."""

    priority = "VERY_LOW"

    def before_save_checkpoint(self, runner: Any, checkpoint: dict) -> None:
        state, records = trained_state(runner.model, checkpoint["state_dict"])
        if records:
            checkpoint["state_dict"] = state
            checkpoint[FROZEN_PARTS_KEY] = records

    def after_load_checkpoint(self, runner: Any, checkpoint: dict) -> None:
        records = checkpoint.get(FROZEN_PARTS_KEY)
        if records:
            checkpoint["state_dict"] = complete_state(runner.model, checkpoint["state_dict"], records,
                                                      f"the last checkpoint in {runner.work_dir}")
