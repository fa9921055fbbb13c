"""Built-in plugin 'core': the composed model and the "nothing here" components used by ablations
(identity decomposition, no image prior, no text prior)."""
from llie import hookimpl
from llie.engine.model import SemanticPriorModel

from .identity import IdentityDecomposer
from .priors import NoPrior, NoTextPrior


@hookimpl
def llie_register(registries):
    registries.models.register_module(module=SemanticPriorModel)
    registries.decomposers.register_module(module=IdentityDecomposer)
    registries.image_priors.register_module(module=NoPrior)
    registries.text_priors.register_module(module=NoTextPrior)
