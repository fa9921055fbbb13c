"""The model zoo: every known pretrained checkpoint by name, and where its file is found.

``pretrained:`` in a config takes a path or a zoo name; :func:`resolve_weights` turns either into a local file.
Resolution order for a name: ``$LLIE_WEIGHTS/<file>`` → ``../shared/weights/<file>`` → the user cache
(``$LLIE_CACHE``, default ``~/.cache/llie``) → a download (only when online and not ``LLIE_OFFLINE=1``).
"""
from .resolve import cache_dir, find_local, resolve_weights, weights_dirs
from .table import ZOO, ZooEntry, get_entry

__all__ = ["ZOO", "ZooEntry", "cache_dir", "find_local", "get_entry", "resolve_weights", "weights_dirs"]
