"""Text-prior embeddings on disk: a frozen CLIP encodes each prompt once per sweep, not once per process.

Entries live at ``<root>/text/<prior key>/<sha256(prompt)>.pt`` (one float32 vector each, weights-only loadable);
the prior key hashes the text prior's identity and its actual weights, as for image priors. They are a few hundred
bytes per prompt, so they are not counted against ``prior_cache.max_gb``.
"""
from __future__ import annotations

import hashlib
import os
import uuid
from pathlib import Path

import torch
from torch import Tensor, nn

from .keys import prior_key

ENTRY_SUFFIX = ".pt"


class TextEmbeddingStore:
    """Prompt → embedding for one text prior (shared by every process using the same ``root``)."""

    def __init__(self, root: str | os.PathLike, prior: nn.Module) -> None:
        folder, description = prior_key(prior, torch.float32)
        self.folder = Path(root).expanduser() / "text" / folder
        self.folder.mkdir(parents=True, exist_ok=True)
        identity = self.folder / "identity.txt"
        if not identity.is_file():
            self._replace(identity, lambda tmp: tmp.write_text(description + "\n"))
        self.hits = 0
        self.misses = 0

    def path(self, prompt: str) -> Path:
        return self.folder / f"{hashlib.sha256(prompt.encode()).hexdigest()[:32]}{ENTRY_SUFFIX}"

    def get(self, prompt: str) -> Tensor | None:
        path = self.path(prompt)
        if not path.is_file():
            self.misses += 1
            return None
        try:
            entry = torch.load(path, map_location="cpu", weights_only=True)
        except Exception:  # truncated or foreign file (torch raises several kinds): recompute and overwrite
            self.misses += 1
            return None
        if entry.get("prompt") != prompt:  # a hash collision is as good as a miss
            self.misses += 1
            return None
        self.hits += 1
        return entry["embedding"]

    def put(self, prompt: str, embedding: Tensor) -> None:
        payload = {"prompt": prompt, "embedding": embedding.detach().to("cpu", torch.float32).contiguous()}
        self._replace(self.path(prompt), lambda tmp: torch.save(payload, tmp))

    @staticmethod
    def _replace(path: Path, write) -> None:
        """Write to a temporary name and rename: concurrent readers never see half an entry."""
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
        try:
            write(tmp)
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
