"""CLIP (via open_clip) as the text-level prior: image/text embeddings and prompt scores."""
from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import Iterator, Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from llie.checkpoints import StateDict, load_pretrained
from llie.errors import ConfigError, closest
from llie.interfaces import TextPrior
from llie.prior_support import NORMALIZATIONS, prior_identity

from .model_configs import register_model_configs

#: *assumed* prompt sets (the DeepSPG paper's prompts could not be read): what an enhanced image should look like …
DEFAULT_POSITIVE_PROMPTS = (
    "a well-lit photo",
    "a bright, clear photo with natural colors",
    "a clean, sharp photo taken in daylight",
)
#: … and what a low-light input looks like
DEFAULT_NEGATIVE_PROMPTS = (
    "a dark, low-light photo",
    "a noisy photo taken at night",
    "an underexposed, dim photo",
)

RESIZE_MODES = ("shortest", "squash")
OPENAI_MEAN, OPENAI_STD = NORMALIZATIONS["clip"]  # type: ignore[misc]


def _model_config(name: str) -> dict[str, Any]:
    import open_clip

    register_model_configs()
    cfg = open_clip.get_model_config(name)
    if cfg is None:
        near = closest(name, open_clip.list_models())
        raise ConfigError(f"CLIPTextPrior.model: unknown open_clip architecture '{name}'"
                          f"{'; closest: ' + ', '.join(near) if near else ''}")
    text = cfg.get("text_cfg", {})
    if text.get("hf_tokenizer_name") or text.get("hf_model_name") or "siglip" in name.lower():
        raise ConfigError(f"CLIPTextPrior.model: '{name}' needs tokenizer/text files from the Hugging Face Hub, "
                          f"which are never downloaded here; pick an architecture with open_clip's built-in BPE "
                          f"tokenizer (e.g. ViT-B-32, ViT-B-16, ViT-L-14)")
    return cfg


@functools.lru_cache(maxsize=None)
def _tokenizer(name: str) -> Any:
    import open_clip

    return open_clip.get_tokenizer(name)  # SimpleTokenizer: its BPE vocabulary ships inside the wheel


class _DropRandomInitNotice(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("No pretrained weights loaded for model")


@contextlib.contextmanager
def _quiet_random_init_notice() -> Iterator[None]:
    """open_clip warns on the root logger that a model built without weights is random, even when we load them
    right after; that one message is dropped while the model is created."""
    root, notice = logging.getLogger(), _DropRandomInitNotice()
    root.addFilter(notice)
    try:
        yield
    finally:
        root.removeFilter(notice)


def _open_clip_layout(model: nn.Module) -> Any:
    """The state_dict rewrites open_clip's own ``load_checkpoint`` applies, for checkpoints from other layouts."""
    from open_clip.convert import convert_state_dict
    from open_clip.model import convert_to_custom_text_state_dict, resize_pos_embed, resize_text_pos_embed

    def adapt(state: StateDict) -> StateDict:
        state = convert_state_dict(model, dict(state))
        if "positional_embedding" in state and not hasattr(model, "positional_embedding"):
            state = convert_to_custom_text_state_dict(state)
        for key in ("logit_scale", "logit_bias"):
            own = getattr(model, key, None)
            if key in state and own is not None and own.ndim != state[key].ndim:
                state[key] = state[key].reshape(own.shape)
        if "logit_bias" not in state and getattr(model, "logit_bias", None) is not None and "logit_scale" in state:
            state["logit_bias"] = torch.zeros_like(state["logit_scale"])
        resize_pos_embed(state, model)
        resize_text_pos_embed(state, model)
        return state

    return adapt


class CLIPTextPrior(TextPrior):
    """A frozen open_clip model scoring images against prompts.

    model: an open_clip architecture name (``ViT-B-32`` …, or ``llie-tiny-clip`` for tests).
    pretrained: a zoo name (``clip_vit_b32_openai``, see ``llie weights list``), a local checkpoint file (open_clip
    ``.bin``/``.pt``/``.safetensors`` state_dict) or ``None`` for a random init (logged as a warning). Never an
    open_clip hub tag: open_clip itself downloads nothing.
    positive_prompts / negative_prompts: the prompt sets (defaults :data:`DEFAULT_POSITIVE_PROMPTS` /
    :data:`DEFAULT_NEGATIVE_PROMPTS`, *assumed*).
    resize: ``'shortest'`` (CLIP's preprocessing: shortest side to the model's image size, centre crop) or
    ``'squash'`` (the whole image resized to the model's size, nothing cropped).

    Text embeddings of a frozen prior are computed once per prompt and cached. ``encode_image`` preprocesses in
    torch (differentiable resize, CLIP mean/std), so gradients reach the image while the weights stay frozen; it
    does not switch autograd off — callers that need no gradient use ``torch.no_grad()``.
    """

    enabled = True

    def __init__(self, model: str = "ViT-B-32", pretrained: str | None = None,
                 positive_prompts: Sequence[str] | None = None, negative_prompts: Sequence[str] | None = None,
                 frozen: bool = True, resize: str = "shortest") -> None:
        super().__init__()
        import open_clip

        if resize not in RESIZE_MODES:
            raise ConfigError(f"CLIPTextPrior.resize: unknown mode '{resize}'; use one of {list(RESIZE_MODES)}")
        _model_config(model)
        self.model_name = model
        with _quiet_random_init_notice():  # weights are loaded (or the random init reported) below
            self.model = open_clip.create_model(model, pretrained=None, pretrained_image=False,
                                                pretrained_text=False)
        self.positive_prompts = tuple(DEFAULT_POSITIVE_PROMPTS if positive_prompts is None else positive_prompts)
        self.negative_prompts = tuple(DEFAULT_NEGATIVE_PROMPTS if negative_prompts is None else negative_prompts)
        preprocess = getattr(self.model.visual, "preprocess_cfg", {})
        size = preprocess.get("size", self.model.visual.image_size)
        self.image_size = (size, size) if isinstance(size, int) else tuple(size)
        mean, std = preprocess.get("mean", OPENAI_MEAN), preprocess.get("std", OPENAI_STD)
        self.register_buffer("mean", torch.tensor(mean).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(std).view(1, 3, 1, 1), persistent=False)
        self.resize = resize
        self.weights = load_pretrained(self.model, pretrained, what="CLIPTextPrior.pretrained",
                                       adapt=_open_clip_layout(self.model))
        self._text_cache: dict[str, Tensor] = {}
        self._frozen = bool(frozen)
        if frozen:
            for p in self.parameters():
                p.requires_grad_(False)
            super().train(False)

    # -- modes ----------------------------------------------------------------------------------------------------
    @property
    def frozen(self) -> bool:
        return not any(p.requires_grad for p in self.parameters())

    def train(self, mode: bool = True) -> "CLIPTextPrior":
        return super().train(False if self._frozen else mode)

    # -- encoders -------------------------------------------------------------------------------------------------
    def preprocess(self, x: Tensor) -> Tensor:
        """``B×3×H×W`` in ``[0, 1]`` -> the model's input (resized, normalised), differentiably."""
        th, tw = self.image_size
        if self.resize == "squash":
            out = F.interpolate(x, size=(th, tw), mode="bicubic", align_corners=False,
                                antialias=x.shape[-2] > th or x.shape[-1] > tw)
        else:
            h, w = x.shape[-2:]
            scale = max(th / h, tw / w)
            nh, nw = max(th, round(h * scale)), max(tw, round(w * scale))
            out = F.interpolate(x, size=(nh, nw), mode="bicubic", align_corners=False, antialias=scale < 1)
            top, left = (nh - th) // 2, (nw - tw) // 2
            out = out[..., top:top + th, left:left + tw]
        return (out - self.mean.to(out.dtype)) / self.std.to(out.dtype)

    def encode_image(self, x: Tensor) -> Tensor:
        return self.model.encode_image(self.preprocess(x), normalize=True)

    def _encode_prompts(self, prompts: Sequence[str]) -> Tensor:
        device = self.mean.device
        tokens = _tokenizer(self.model_name)(list(prompts)).to(device)
        return self.model.encode_text(tokens, normalize=True)

    def encode_text(self, prompts: Sequence[str]) -> Tensor:
        prompts = list(prompts)
        if not (self._frozen and self.frozen):  # the text tower is training: embeddings change every step
            return self._encode_prompts(prompts)
        todo = list(dict.fromkeys(p for p in prompts if p not in self._text_cache))
        store = self.embedding_store
        if todo and store is not None:  # shared on disk by the cells of a sweep
            for prompt in list(todo):
                stored = store.get(prompt)
                if stored is not None:
                    self._text_cache[prompt] = stored
                    todo.remove(prompt)
        if todo:
            with torch.no_grad():
                for prompt, emb in zip(todo, self._encode_prompts(todo)):
                    self._text_cache[prompt] = emb
                    if store is not None:
                        store.put(prompt, emb)
        device = self.mean.device
        return torch.stack([self._text_cache[p] for p in prompts]).to(device)

    def score(self, x: Tensor, prompts: Sequence[str]) -> Tensor:
        """``B×N`` logits: the model's learnt logit scale times cosine similarity."""
        scale = self.model.logit_scale.exp().to(x.dtype)
        return scale * self.encode_image(x) @ self.encode_text(prompts).t().to(x.dtype)

    def identity(self) -> str:
        config = {"model": self.model_name, "resize": self.resize, "positive_prompts": list(self.positive_prompts),
                  "negative_prompts": list(self.negative_prompts)}
        return prior_identity("CLIPTextPrior", config, self.weights)
