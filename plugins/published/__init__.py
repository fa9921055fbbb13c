"""Built-in plugin 'published': published low-light enhancers that run with their authors' released weights.

SCI (Ma et al., CVPR 2022), Zero-DCE (Guo et al., CVPR 2020) and Zero-DCE++ (Li et al., TPAMI 2021), written in the
project's own code so that the official files (zoo names ``sci_easy``, ``sci_medium``, ``sci_difficult``,
``zero_dce``, ``zero_dce_pp``) load with zero missing and zero unexpected keys and reproduce the authors' test-time
forward passes. With weights they are frozen (inference only; the runner skips training); ``finetune: true`` or
``pretrained: null`` makes them trainable.
"""
from llie import hookimpl

from .sci import SCI
from .zero_dce import ZeroDCE, ZeroDCEPP

__all__ = ["SCI", "ZeroDCE", "ZeroDCEPP"]


@hookimpl
def llie_register(registries):
    for enhancer in (SCI, ZeroDCE, ZeroDCEPP):
        registries.enhancers.register_module(module=enhancer)
