"""Loading a learned decomposer's weights from a local checkpoint file (never from a hub)."""
from __future__ import annotations

import os

from torch import nn

from llie.checkpoints import load_into, load_state_dict_file, select_prefix, strip_prefixes


def load_module_weights(module: nn.Module, path: str | os.PathLike[str], *, what: str,
                        prefix: str = "decomposer.") -> None:
    """Load ``path`` into ``module`` strictly (weights-only unpickling).

    Accepts a bare or wrapped state dict, and also a whole model's checkpoint, whose decomposer entries carry
    ``prefix``. Every failure is a one-line :class:`~llie.errors.CheckpointError` naming ``what`` and the file.
    """
    state = load_state_dict_file(path, what=what)
    nested = select_prefix(state, prefix)
    if nested:
        state = strip_prefixes(nested, [prefix])
    load_into(module, state, what=f"{what} ('{path}')", strict=True)
