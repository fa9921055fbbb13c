"""Built-in plugin 'unet': the plain U-Net enhancer (no priors)."""
from llie import hookimpl

from .unet import UNet


@hookimpl
def llie_register(registries):
    registries.enhancers.register_module(module=UNet)
