"""Built-in plugin 'retinex' (registered through the llie.plugins entry point like any third-party plugin)."""
from framework import hookimpl


@hookimpl
def llie_register(registries):
    """Nothing registered yet."""
