"""Extra open_clip architectures this project adds to open_clip's catalogue (``open_clip.list_models()``).

``llie-tiny-clip`` (~3.4 M parameters, most of them the 49408×64 token embedding): a 2-layer ViT of width 64 on
64-pixel images with 16-pixel patches, a 2-layer text transformer of width 64 with CLIP's vocabulary and context
length, 64-d joint embedding. It exists so tests and smoke runs exercise the real CLIP code path in seconds.

open_clip reads architectures from JSON files; the file is written (atomically, only when missing or different) to a
per-user cache folder rather than shipped as package data, so it works the same from a wheel and a checkout.
"""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

TINY_CLIP = "llie-tiny-clip"

EXTRA_MODEL_CONFIGS: dict[str, dict[str, Any]] = {
    TINY_CLIP: {
        "embed_dim": 64,
        "vision_cfg": {"image_size": 64, "layers": 2, "width": 64, "head_width": 32, "patch_size": 16},
        "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 64, "heads": 2, "layers": 2},
    },
}


def _config_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(tempfile.gettempdir(), f"llie-{os.getuid()}")
    return Path(base) / "llie" / "open_clip_configs"


def _write_if_changed(path: Path, cfg: dict[str, Any]) -> None:
    text = json.dumps(cfg, indent=2, sort_keys=True)
    if path.is_file() and path.read_text() == text:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    os.replace(tmp, path)


def register_model_configs() -> list[str]:
    """Add :data:`EXTRA_MODEL_CONFIGS` to open_clip (idempotent); returns the names added now."""
    import open_clip

    known = set(open_clip.list_models())
    added = []
    for name, cfg in EXTRA_MODEL_CONFIGS.items():
        if name in known:
            continue
        path = _config_dir() / f"{name}.json"
        _write_if_changed(path, cfg)
        open_clip.add_model_config(path)
        added.append(name)
    return added
