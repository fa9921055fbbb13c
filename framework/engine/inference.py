"""The model as inference builds and runs it (``llie enhance``, ``llie bench model``): only the parts that compute the
output, in a chosen precision and memory layout.

- **Not built**: the text prior (it only scores outputs for the multimodal loss) and the losses. A trained
  checkpoint still holds their weights; those entries are skipped, every other key must match (strict).
- **Outputs nobody reads are not computed**: the enhancer says which prior outputs it reads
  (:meth:`Enhancer.prior_outputs_read`) and the prior may skip the rest (:meth:`ImagePrior.restrict_outputs`), e.g.
  a segmentation head's logits when no SEM is routed to them.
- **A frozen prior's BatchNorms are folded** into the convolutions before them (:mod:`llie.engine.folding`), kept
  only when the prior's outputs on a probe image stay equal to float rounding.
- **Frozen prior precision** is the model's config key ``model.prior_precision`` (``fp32`` default | ``bf16``),
  recorded with every result; here its weights are also stored in that dtype (half the memory).
- **Whole-model precision** (``precision``): ``fp32`` (default) or ``bf16`` autocast of the whole forward
  (convolutions and matrix products in bf16); the output is returned in float32 either way.
- **Memory layout** (``memory_format``): ``channels_last`` stores weights and activations NHWC, ``contiguous`` NCHW;
  ``auto`` (default) is channels-last on CPU, where it measured faster (depthwise convolutions and LayerNorm over
  channels run without reorders), and contiguous elsewhere. Results agree to float rounding.
- The checkpoint is memory-mapped, so entries that are skipped are never read into memory, and a part whose
  weights the checkpoint holds is not first loaded from its ``pretrained`` file (which need not exist here); a
  frozen part a training checkpoint left out is built from its file and checked against the checkpoint's record.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from ..checkpoints import load_into, random_init_expected, refuse_untrained
from ..config import to_plain
from ..errors import ConfigError
from .builders import DEFAULT_MODEL_TYPE
from .folding import fold_batch_norms_checked
from .frozen_parts import complete_state, read_trained_state
from .precision import PRECISIONS, lower_precision_weights

MEMORY_FORMATS = ("auto", "channels_last", "contiguous")
#: model parts that only training uses; inference does not build them and skips their checkpoint entries
TRAINING_ONLY_PARTS = ("text_prior", "losses")


def precision_dtype(name: str, what: str = "precision") -> torch.dtype | None:
    """The dtype of a precision name (None: float32, no autocast)."""
    if name not in PRECISIONS:
        raise ConfigError(f"{what}: unknown precision {name!r}; use one of {sorted(PRECISIONS)}")
    return PRECISIONS[name]


def resolve_memory_format(name: str, device: str | torch.device) -> torch.memory_format:
    if name not in MEMORY_FORMATS:
        raise ConfigError(f"memory format {name!r} is unknown; use one of {list(MEMORY_FORMATS)}")
    if name == "auto":
        name = "channels_last" if torch.device(device).type == "cpu" else "contiguous"
    return torch.channels_last if name == "channels_last" else torch.contiguous_format


def inference_model_cfg(cfg: Any) -> dict:
    """The ``model`` section without its training-only parts."""
    model_cfg = to_plain(cfg.get("model") or {})
    model_cfg.setdefault("type", DEFAULT_MODEL_TYPE)
    if "text_prior" in model_cfg:
        model_cfg["text_prior"] = None
    if "losses" in model_cfg:
        model_cfg["losses"] = []
    return model_cfg


def skip_unexpected_training_parts(state: dict[str, Tensor], model: torch.nn.Module) -> dict[str, Tensor]:
    """``state`` without the entries of training-only parts that ``model`` does not have."""
    own = {key.split(".", 1)[0] for key in model.state_dict()}
    absent = tuple(f"{part}." for part in TRAINING_ONLY_PARTS if part not in own)
    return {k: v for k, v in state.items() if not k.startswith(absent)} if absent else dict(state)


def without_stored_pretrained(model_cfg: dict, state: Mapping[str, Tensor]) -> dict:
    """``model_cfg`` with ``pretrained: null`` for every part whose tensors ``state`` holds: the checkpoint's copy
    replaces them anyway (strictly), so their weight files need not be read, nor even be present."""
    out = dict(model_cfg)
    stored = {key.split(".", 1)[0] for key in state}
    for slot, part in model_cfg.items():
        if slot in stored and isinstance(part, dict) and part.get("pretrained") is not None:
            out[slot] = {**part, "pretrained": None}
    return out


def restrict_prior_outputs(model: Any) -> None:
    """Tell the image prior which of its outputs the enhancer reads, so it can skip the others."""
    prior, enhancer = getattr(model, "image_prior", None), getattr(model, "enhancer", None)
    if prior is None or enhancer is None or not hasattr(prior, "restrict_outputs"):
        return
    needed = enhancer.prior_outputs_read() if hasattr(enhancer, "prior_outputs_read") else None
    if needed is not None:
        strides, logits = needed
        prior.restrict_outputs(set(strides), bool(logits))


#: the probe image a frozen prior's BatchNorm folding is checked on (small: a few ms; every stride still ≥ 2 px)
FOLD_PROBE_SIZE = (64, 96)


def fold_frozen_prior(model: Any) -> int:
    """Fold the frozen image prior's BatchNorms into its convolutions, checked on a probe image
    (:func:`llie.engine.folding.fold_batch_norms_checked`); returns how many were folded."""
    prior = getattr(model, "image_prior", None)
    if prior is None or not prior.frozen:
        return 0
    weight = next(prior.parameters(), None)
    if weight is None:
        return 0
    generator = torch.Generator().manual_seed(0)
    probe = torch.rand(1, 3, *FOLD_PROBE_SIZE, generator=generator).to(weight.device)

    def outputs(module: torch.nn.Module) -> list[Tensor]:
        features = module(probe)
        return [t for _, t in features.levels] + ([features.logits] if features.logits is not None else [])

    return fold_batch_norms_checked(prior, outputs)


def release_free_heap() -> bool:
    """Give freed heap pages back to the OS (glibc ``malloc_trim``; a no-op elsewhere). Returns whether it ran.

    Building frees many blocks in the middle of the heap (weights replaced when their dtype or layout changes, the
    checkpoint's temporary tensors); glibc keeps those pages resident until trimmed. One call after building lowers
    the resident set by up to the prior's size; it is not repeated per image, where reused pages save page faults.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.malloc_trim(0)
    except (OSError, AttributeError):  # not glibc (e.g. musl has no malloc_trim)
        return False
    return True


@dataclass
class InferenceModel:
    """A built model and how to run it: ``runner(x) -> enhanced`` for ``x`` B×3×H×W in [0, 1] (float32 out)."""

    model: Any
    device: str = "cpu"
    precision: str = "fp32"
    memory_format: torch.memory_format = torch.contiguous_format

    @property
    def pad_multiple(self) -> int:
        return int(getattr(self.model, "pad_multiple", 1))

    @property
    def settings(self) -> dict:
        """What this run used, for logs and benchmark rows."""
        return {"precision": self.precision,
                "prior_precision": str(getattr(self.model, "prior_precision", "fp32")),
                "memory_format": "channels_last" if self.memory_format == torch.channels_last else "contiguous"}

    @contextmanager
    def context(self) -> Iterator[None]:
        dtype = PRECISIONS[self.precision]
        cast = nullcontext() if dtype is None else torch.autocast(torch.device(self.device).type, dtype=dtype)
        with torch.inference_mode(), cast:
            yield

    def __call__(self, x: Tensor) -> Tensor:
        x = x.to(self.device).contiguous(memory_format=self.memory_format)
        with self.context():
            out = self.model(x, mode="tensor")
        return out.float()


def build_inference_model(cfg: Any, checkpoint: str | Path | None = None, *, device: str = "cpu",
                          precision: str = "fp32", memory_format: str = "auto",
                          compile: bool = False, require_trained: bool = False) -> InferenceModel:
    """``cfg``'s model without training-only parts, with ``checkpoint``'s weights (None: the config's own
    initialisation, e.g. for benchmarks; refused in one line with ``require_trained`` when trainable parameters
    would stay randomly initialised), on ``device``, ready to run."""
    from ..registry import build

    precision_dtype(precision, "precision")
    layout = resolve_memory_format(memory_format, device)
    # the config's seed for random initialisations (benchmarks); not llie.engine.training.seed_everything, whose
    # import pulls in the training Runner — the weights come from torch's generator alone
    torch.manual_seed(int(cfg.get("seed", 0)))
    model_cfg = inference_model_cfg(cfg)
    if checkpoint is None:
        model = build("models", model_cfg)
        if require_trained:
            refuse_untrained(model, Path(getattr(cfg, "filename", None) or "config").name)
    else:
        # memory-mapped: entries of parts not built here are never read; empty for a training-free method
        state, records = read_trained_state(checkpoint, what="model checkpoint", mmap=True, allow_empty=True)
        with random_init_expected():  # parts whose weights the checkpoint holds are not read from their files
            model = build("models", without_stored_pretrained(model_cfg, state))
        if model.state_dict():
            # frozen parts the checkpoint left out are built from their own files, checked against its record
            records = {slot: r for slot, r in (records or {}).items() if slot not in TRAINING_ONLY_PARTS}
            state = complete_state(model, skip_unexpected_training_parts(state, model), records, str(checkpoint))
            load_into(model, state, what=f"checkpoint {checkpoint}", strict=True)
        del state
    model = model.to(device).eval()
    restrict_prior_outputs(model)
    fold_frozen_prior(model)
    prior_dtype = getattr(model, "prior_dtype", None)
    if prior_dtype is not None and getattr(model, "image_prior", None) is not None and model.image_prior.frozen:
        lower_precision_weights(model.image_prior, prior_dtype)
    if layout == torch.channels_last:
        model = model.to(memory_format=torch.channels_last)
    if compile:
        from .perf import compile_enhancer

        compile_enhancer(model)
    release_free_heap()
    return InferenceModel(model, device, precision, layout)
