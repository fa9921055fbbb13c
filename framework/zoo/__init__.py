"""The model zoo: every known pretrained checkpoint by name, and where its file is found.

``pretrained:`` in a config takes a path or a zoo name; :func:`resolve_weights` turns either into a local file.
Resolution order for a name: ``$LLIE_WEIGHTS/<file>`` → ``../shared/weights/<file>`` → the user cache
(``$LLIE_CACHE``, default ``~/.cache/llie``) → a verified download (only when online and not ``LLIE_OFFLINE=1``).
Nothing here imports torch: ``llie weights`` stays fast.
"""
from .digest import file_sha256
from .download import DownloadRefused, WeightsUnavailable, download, offline, source_url
from .resolve import cache_dir, fetch, find_local, local_copies, resolve_weights, suggested_dir, weights_dirs
from .table import ZOO, ZooEntry, entry_for_file, get_entry

__all__ = ["ZOO", "DownloadRefused", "WeightsUnavailable", "ZooEntry", "cache_dir", "download", "entry_for_file",
           "fetch", "file_sha256", "find_local", "get_entry", "local_copies", "offline", "resolve_weights",
           "source_url", "suggested_dir", "weights_dirs"]
