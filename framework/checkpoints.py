"""Safe loading of pretrained weights: weights-only unpickling, wrapper unwrapping, and clear key/shape reports.

Every failure is a :class:`~llie.errors.CheckpointError` with one line naming what was being loaded (``what``,
e.g. ``"HRNetPrior.pretrained"``), the file, and what to do. Pickled checkpoints are always read with
``torch.load(weights_only=True)``: a file that needs arbitrary code to unpickle is refused, never executed.
``.safetensors`` files are read with the ``safetensors`` package when it is installed.
"""
from __future__ import annotations

import logging
import os
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from .errors import CheckpointError

log = logging.getLogger(__name__)

StateDict = dict[str, Tensor]

#: keys under which training frameworks nest the weights, tried in this order (mmengine, timm/detectron, deepspeed,
#: BasicSR — Retinexformer's and Restormer's released checkpoints are ``{'params': state_dict}``)
WRAPPER_KEYS = ("state_dict", "model", "module", "params")
#: how many offending keys an error message lists before it only counts them
SHOWN_KEYS = 5


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _fix_hint(what: str) -> str:
    if what.endswith(".pretrained"):  # a config key: random init is an option
        return f"set {what} to a local weights file, or to null (`pretrained: null`) for a random init"
    return ("check the path (llie train writes <work-dir>/iter_N.pth and names the last one in "
            "<work-dir>/last_checkpoint)")


def _first_sentence(text: str, limit: int = 160) -> str:
    """The start of a library's error text, cut at a sentence end rather than mid-word."""
    text = _one_line(text)
    end = text.find(". ")
    text = text[: end + 1] if 0 <= end < limit else text
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + " …"


def _unsafe_reason(exc: Exception) -> str:
    text = str(exc)
    for line in text.splitlines():
        if "Unsupported global" in line or "GLOBAL" in line:
            return f"it needs pickled code to load ({_one_line(line)})"
    return _one_line(text.splitlines()[0] if text else type(exc).__name__)


#: how a file saved by torch.save starts: a zip archive (torch ≥ 1.6) or a legacy pickle stream
_TORCH_MAGIC = (b"PK\x03\x04", b"\x80")


def _not_a_torch_file(path: Path, what: str) -> CheckpointError | None:
    """A clear error for files that are not torch.save output at all (e.g. mmengine's ``last_checkpoint`` pointer
    file, whose text names the real checkpoint), instead of an unpickler complaint."""
    with open(path, "rb") as fh:
        head = fh.read(512)
    if head.startswith(_TORCH_MAGIC):
        return None
    hint = "give the .pth file written by training"
    try:
        named = Path(head.decode().strip())
        if named.suffix and named.is_file():
            hint = f"it names '{named}': pass that file"
    except (UnicodeDecodeError, ValueError, OSError):
        pass
    return CheckpointError(f"{what}: '{path}' is not a PyTorch checkpoint; {hint}")


def _torch_load(path: Path, what: str, mmap: bool = False) -> Any:
    import pickle

    problem = _not_a_torch_file(path, what)
    if problem is not None:
        raise problem
    try:
        # mmap needs the zip format of torch >= 1.6; the legacy pickle stream is read whole
        mmap = mmap and zipfile.is_zipfile(path)
        return torch.load(path, map_location="cpu", weights_only=True, mmap=mmap)
    except pickle.UnpicklingError as exc:
        raise CheckpointError(
            f"{what}: refused to load '{path}': {_unsafe_reason(exc)}; only plain tensor checkpoints are read "
            f"(weights_only=True) — re-save the weights as a state_dict from a trusted environment") from exc
    except Exception as exc:  # truncated zip, not a checkpoint at all, …
        detail = f"{type(exc).__name__}: {_first_sentence(str(exc))}" if str(exc) else type(exc).__name__
        raise CheckpointError(
            f"{what}: cannot read checkpoint '{path}' ({detail}); "
            f"the file is truncated or not a PyTorch checkpoint — download or save it again") from exc


def _safetensors_load(path: Path, what: str) -> StateDict:
    try:
        from safetensors.torch import load_file
    except ImportError as exc:
        raise CheckpointError(f"{what}: '{path}' is a .safetensors file but the 'safetensors' package is not "
                              f"installed; pip install safetensors") from exc
    try:
        return load_file(str(path), device="cpu")
    except Exception as exc:
        raise CheckpointError(f"{what}: cannot read safetensors file '{path}' "
                              f"({type(exc).__name__}: {_one_line(str(exc))[:200]})") from exc


def unwrap_state_dict(obj: Any, *, what: str, source: str | os.PathLike[str] = "<memory>",
                      allow_empty: bool = False) -> StateDict:
    """The tensor mapping inside a loaded checkpoint.

    Descends through ``state_dict`` / ``model`` / ``module`` wrappers (dropping siblings such as ``meta`` or
    ``optimizer``), then strips a DataParallel ``module.`` prefix when every key carries it. ``allow_empty``: an
    empty mapping (the checkpoint of a training-free method) is returned instead of refused.
    """
    for _ in range(4):
        if not isinstance(obj, Mapping):
            break
        inner = next((obj[k] for k in WRAPPER_KEYS if isinstance(obj.get(k), Mapping)), None)
        if inner is None or all(isinstance(v, Tensor) for v in obj.values()):
            break
        obj = inner
    if not isinstance(obj, Mapping):
        raise CheckpointError(f"{what}: '{source}' holds a {type(obj).__name__}, not a state_dict; "
                              f"save the weights with torch.save(model.state_dict(), path)")
    state = {str(k): v for k, v in obj.items() if k != "meta"}
    not_tensors = [k for k, v in state.items() if not isinstance(v, Tensor)]
    if not_tensors or not (state or allow_empty):
        detail = f"non-tensor entries {not_tensors[:SHOWN_KEYS]}" if not_tensors else "no tensors"
        raise CheckpointError(f"{what}: '{source}' is not a state_dict ({detail}); expected a mapping of parameter "
                              f"names to tensors, optionally under one of the keys {list(WRAPPER_KEYS)}")
    if all(k.startswith("module.") for k in state):
        state = strip_prefixes(state, ["module."])
    return state


def _existing_file(path: str | os.PathLike[str], what: str) -> Path:
    file = Path(path).expanduser()
    if not file.is_file():
        reason = "is a directory" if file.is_dir() else "does not exist"
        raise CheckpointError(f"{what}: checkpoint '{file}' {reason}; {_fix_hint(what)}")
    if file.stat().st_size == 0:
        raise CheckpointError(f"{what}: checkpoint '{file}' is empty (0 bytes): an interrupted download or copy — "
                              f"fetch or save it again")
    return file


def read_checkpoint(path: str | os.PathLike[str], *, what: str, mmap: bool = False) -> Any:
    """The whole object of a checkpoint file (weights-only unpickling, on the CPU), for callers that need more than
    its weights (e.g. the record of the frozen parts a training checkpoint leaves out). ``mmap``: tensors are
    mapped, not read — cheap when only the non-tensor entries are wanted."""
    file = _existing_file(path, what)
    if file.suffix == ".safetensors":
        return _safetensors_load(file, what)
    return _torch_load(file, what, mmap=mmap)


def load_state_dict_file(path: str | os.PathLike[str], *, what: str, mmap: bool = False,
                         allow_empty: bool = False) -> StateDict:
    """Read a checkpoint file safely and return its ``name -> tensor`` mapping on the CPU.

    ``what`` names the config key that gave the path (e.g. ``"SAMPrior.pretrained"``); every error repeats it.
    ``mmap``: map the file instead of reading it (zip-format torch files), so tensors that are never copied from —
    e.g. the entries of parts inference does not build — never occupy memory. ``allow_empty``: see
    :func:`unwrap_state_dict`.
    """
    file = _existing_file(path, what)
    return unwrap_state_dict(read_checkpoint(file, what=what, mmap=mmap), what=what, source=file,
                             allow_empty=allow_empty)


def strip_prefixes(state: Mapping[str, Tensor], prefixes: Iterable[str]) -> StateDict:
    """Remove the first matching prefix from each key (keys without one are kept as they are)."""
    prefixes = tuple(prefixes)
    out: StateDict = {}
    for key, value in state.items():
        for prefix in prefixes:
            if key.startswith(prefix):
                key = key[len(prefix):]
                break
        out[key] = value
    return out


def select_prefix(state: Mapping[str, Tensor], prefix: str) -> StateDict:
    """Only the entries whose key starts with ``prefix`` (kept as they are); e.g. SAM's ``image_encoder.``."""
    return {k: v for k, v in state.items() if k.startswith(prefix)}


@dataclass
class KeyReport:
    """How a state_dict fits a module."""

    missing: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    mismatched: list[tuple[str, tuple[int, ...], tuple[int, ...]]] = field(default_factory=list)  # key, file, model

    @property
    def clean(self) -> bool:
        return not (self.missing or self.unexpected or self.mismatched)

    def describe(self) -> str:
        def listing(label: str, items: list[str]) -> str:
            more = f", … {len(items) - SHOWN_KEYS} more" if len(items) > SHOWN_KEYS else ""
            return f"{len(items)} {label} ({', '.join(items[:SHOWN_KEYS])}{more})"

        parts = []
        if self.missing:
            parts.append(listing("missing", self.missing))
        if self.unexpected:
            parts.append(listing("unexpected", self.unexpected))
        if self.mismatched:
            shapes = [f"{k}: file {list(a)} vs model {list(b)}" for k, a, b in self.mismatched]
            parts.append(listing("shape mismatches", shapes))
        return "; ".join(parts)


def compare_keys(module: nn.Module, state: Mapping[str, Tensor]) -> KeyReport:
    own = module.state_dict()
    report = KeyReport(
        missing=[k for k in own if k not in state],
        unexpected=[k for k in state if k not in own],
    )
    for key, value in state.items():
        if key in own and tuple(own[key].shape) != tuple(value.shape):
            report.mismatched.append((key, tuple(value.shape), tuple(own[key].shape)))
    return report


def flush_subnormals(state: Mapping[str, Tensor]) -> StateDict:
    """``state`` with subnormal floating-point values set to zero (other entries returned as they are).

    Why: published weights can hold many (Zero-DCE's ``Epoch99.pth`` has about 19 000 float32 weights below 1.2e-38,
    left behind by weight decay). They change no output by more than ~1e-38, but x86 CPUs compute with subnormals
    in microcode: one 600×400 Zero-DCE forward took 35 CPU seconds with them and 0.9 s without, same output.
    """
    out: StateDict = {}
    for key, value in state.items():
        if isinstance(value, Tensor) and value.is_floating_point():
            tiny = torch.finfo(value.dtype).tiny
            subnormal = (value != 0) & (value.abs() < tiny)
            if bool(subnormal.any()):
                value = value.masked_fill(subnormal, 0.0)
        out[key] = value
    return out


def load_into(module: nn.Module, state: Mapping[str, Tensor], *, what: str, strict: bool = True) -> KeyReport:
    """Copy ``state`` into ``module``.

    strict: any missing or unexpected key or shape mismatch raises a :class:`CheckpointError` listing the first
    few of each with counts. Not strict: the entries that fit are loaded, the rest reported in a warning.
    """
    report = compare_keys(module, state)
    if not report.clean and strict:
        raise CheckpointError(f"{what}: the checkpoint does not fit {type(module).__name__}: {report.describe()}; "
                              f"check the model variant/num_classes in the config match the weights")
    if not report.clean:
        log.warning("%s: loading what fits %s: %s", what, type(module).__name__, report.describe())
    bad = {k for k, _, _ in report.mismatched}
    fitting = {k: v for k, v in state.items() if k not in bad and k not in report.unexpected}
    module.load_state_dict(fitting, strict=False)
    setattr(module, LOADED_KEYS_ATTR, frozenset(getattr(module, LOADED_KEYS_ATTR, ())) | frozenset(fitting))
    return report


#: attribute :func:`load_into` leaves on a module: the state-dict keys a file provided (see untrained_parameters)
LOADED_KEYS_ATTR = "_llie_loaded_keys"


def untrained_parameters(model: nn.Module) -> list[str]:
    """Names of ``model``'s trainable parameters (``requires_grad``) that no loaded weights file provided.

    Such a model is a random initialisation waiting for training: evaluating it without a trained checkpoint would
    measure noise. Frozen parameters and parameters loaded from pretrained files (also when fine-tunable) do not count.
    """
    provided: set[str] = set()
    for prefix, sub in model.named_modules():
        keys = getattr(sub, LOADED_KEYS_ATTR, ())
        provided.update(f"{prefix}.{k}" if prefix else k for k in keys)
    return [name for name, p in model.named_parameters() if p.requires_grad and name not in provided]


def refuse_untrained(model: nn.Module, config_name: str) -> None:
    """One line when ``model`` (built without a checkpoint) would run trainable parameters no file provided."""
    untrained = untrained_parameters(model)
    if untrained:
        more = f", … {len(untrained) - 3} more" if len(untrained) > 3 else ""
        raise CheckpointError(
            f"{config_name}: a checkpoint is needed: {len(untrained)} trainable parameters come from no pretrained "
            f"file ({', '.join(untrained[:3])}{more}); train the model with `llie train` and pass --checkpoint with "
            f"the .pth file it wrote")


def weights_digest(path: str | os.PathLike[str], length: int = 12) -> str:
    """Short sha256 of a weights file (memoised by path, size and mtime), for component identities."""
    from .zoo.digest import file_sha256

    return file_sha256(path)[:length]


_random_init_expected: ContextVar[bool] = ContextVar("llie_random_init_expected", default=False)


@contextmanager
def random_init_expected(expected: bool = True) -> Iterator[None]:
    """Within the block a ``pretrained: null`` is not warned about: the caller loads every weight afterwards (e.g.
    from a file written by ``llie export``), so the random initialisation never reaches an output."""
    token = _random_init_expected.set(expected)
    try:
        yield
    finally:
        _random_init_expected.reset(token)


def load_pretrained(module: nn.Module, pretrained: str | os.PathLike[str] | None, *, what: str,
                    keep_prefix: str | None = None, drop_prefixes: Iterable[str] = (),
                    adapt: Callable[[StateDict], StateDict] | None = None, strict: bool = True) -> str:
    """Load ``pretrained`` (a path or a zoo name, see :mod:`llie.zoo`) into ``module``, or leave the random init with
    a warning when it is None.

    keep_prefix: only entries starting with it are loaded (e.g. ``image_encoder.`` from a full SAM checkpoint).
    drop_prefixes: entries to ignore (e.g. an ``auxiliary_head.`` the module does not have).
    adapt: a last model-specific rewrite of the entries (renaming, resampling position tables) before loading.
    Returns the weights tag for identities: a short sha256 of the file, or ``"random"``.
    """
    from .zoo import resolve_weights

    resolved = resolve_weights(pretrained, what=what)
    if resolved is None:
        notice = log.debug if _random_init_expected.get() else log.warning
        notice("%s is null: %s keeps its RANDOM initialisation (no pretrained weights loaded)",
               what, type(module).__name__)
        return "random"
    pretrained = resolved
    state = load_state_dict_file(pretrained, what=what)
    if keep_prefix is not None:
        state = select_prefix(state, keep_prefix)
        if not state:
            raise CheckpointError(f"{what}: '{pretrained}' has no keys starting with '{keep_prefix}'; "
                                  f"is it the right checkpoint?")
    drop = tuple(drop_prefixes)
    if drop:
        state = {k: v for k, v in state.items() if not k.startswith(drop)}
    if adapt is not None:
        state = adapt(state)
    load_into(module, flush_subnormals(state), what=f"{what} ('{pretrained}')", strict=strict)
    return weights_digest(pretrained)
