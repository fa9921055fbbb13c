"""Built-in plugin 'baselines': comparison rows without priors — Retinexformer and classical training-free methods."""
from llie import hookimpl

from .gamma import GammaCorrection
from .histogram import HistogramEqualization
from .retinexformer import Retinexformer


@hookimpl
def llie_register(registries):
    for enhancer in (Retinexformer, GammaCorrection, HistogramEqualization):
        registries.enhancers.register_module(module=enhancer)
