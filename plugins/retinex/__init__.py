"""Built-in plugin 'retinex': Retinex decomposers (learned RetinexNet-style, training-free max-channel) and
illumination adjusters (gamma, learned)."""
from llie import hookimpl

from .decom_net import RetinexNetDecomposer
from .illumination import GammaIllumination, LearnedIllumination
from .max_channel import MaxChannelDecomposer

__all__ = ["GammaIllumination", "LearnedIllumination", "MaxChannelDecomposer", "RetinexNetDecomposer"]


@hookimpl
def llie_register(registries):
    registries.decomposers.register_module(module=RetinexNetDecomposer)
    registries.decomposers.register_module(module=MaxChannelDecomposer)
    registries.illumination_adjusters.register_module(module=GammaIllumination)
    registries.illumination_adjusters.register_module(module=LearnedIllumination)
