"""Built-in plugin 'sam_prior': Segment Anything's image encoder as a frozen image prior (``SAMPrior``)."""
from llie import hookimpl

from .prior import SAMPrior

__all__ = ["SAMPrior"]


@hookimpl
def llie_register(registries):
    registries.image_priors.register_module(module=SAMPrior)
