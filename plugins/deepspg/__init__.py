"""Built-in plugin 'deepspg': the semantic-aware enhancer of the DeepSPG reference configuration."""
from llie import hookimpl

from .enhancer import SemanticAwareEnhancer


@hookimpl
def llie_register(registries):
    registries.enhancers.register_module(module=SemanticAwareEnhancer)
