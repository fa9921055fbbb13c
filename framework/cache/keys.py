"""Cache keys: which prior (class, config, actual weights) and which input (exact pixels and size).

Two inputs share an entry only when their float32 pixels are bit-identical (the hash covers the shape too), and two
priors share a folder only when their identities and every weight and buffer are identical — so a prior with random
weights, a fine-tuned copy or a different checkpoint never reads another's features.
"""
from __future__ import annotations

import hashlib

import torch
from torch import Tensor, nn

#: bumped whenever the stored layout changes, so old folders are never misread
FORMAT_VERSION = 1


def content_hash(image: Tensor) -> str:
    """Hex digest of one ``C×H×W`` input: its float32 bytes plus its shape (so a reshaped buffer differs)."""
    data = image.detach().to(device="cpu", dtype=torch.float32).contiguous()
    digest = hashlib.blake2b(digest_size=16)
    digest.update(repr(tuple(data.shape)).encode())
    digest.update(data.numpy().tobytes())
    return digest.hexdigest()


def weights_hash(module: nn.Module, algorithm: str = "blake2b") -> str:
    """Hex digest of every entry of ``module.state_dict()`` (names, dtypes, shapes, values).

    Hashing the live tensors rather than trusting a file digest also catches random initialisations (whose
    identity says only ``@random``) and weights changed after loading. ``algorithm``: a :mod:`hashlib` name
    (``sha256`` is the fastest on CPUs with SHA instructions); the default is the cache's key.
    """
    digest = hashlib.blake2b(digest_size=16) if algorithm == "blake2b" else hashlib.new(algorithm)
    for name, tensor in sorted(module.state_dict().items()):
        digest.update(name.encode())
        if not isinstance(tensor, Tensor):
            digest.update(repr(tensor).encode())
            continue
        data = tensor.detach().to("cpu").contiguous()
        digest.update(f"{data.dtype}{tuple(data.shape)}".encode())
        digest.update(data.reshape(-1).view(torch.uint8).numpy() if data.numel() else b"")  # no copy
    return digest.hexdigest()


def prior_key(prior: nn.Module, storage_dtype: torch.dtype) -> tuple[str, str]:
    """``(folder name, readable description)`` of a prior as the cache sees it.

    The folder name hashes the prior's ``identity()`` (class, config, weights tag), the hash of its actual weights,
    the storage dtype and the cache format.
    """
    identity = prior.identity() if hasattr(prior, "identity") else type(prior).__name__
    described = f"{identity} weights={weights_hash(prior)} dtype={storage_dtype} format={FORMAT_VERSION}"
    return hashlib.sha256(described.encode()).hexdigest()[:20], described
