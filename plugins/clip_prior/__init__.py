"""Built-in plugin 'clip_prior': CLIP via open_clip as the text-level prior (``CLIPTextPrior``).

The test-sized ``llie-tiny-clip`` architecture is added to open_clip's catalogue the first time a CLIPTextPrior is
built (or by calling :func:`register_model_configs`), not at plugin load: importing open_clip costs over a second,
which every ``llie`` command would otherwise pay.
"""
from llie import hookimpl

from .model_configs import TINY_CLIP, register_model_configs
from .prior import CLIPTextPrior

__all__ = ["CLIPTextPrior", "TINY_CLIP", "register_model_configs"]


@hookimpl
def llie_register(registries):
    registries.text_priors.register_module(module=CLIPTextPrior)
