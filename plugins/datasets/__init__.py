"""Built-in plugin 'datasets': the paired-folder layout, the five published LLIE benchmarks, synthetic pairs and
unpaired image folders, and the mix of several sources in one training set.

Registered through the ``llie.plugins`` entry point like any third-party plugin; the classes live in
:mod:`llie.data`.
"""
from llie import hookimpl
from llie.data import DATASET_CLASSES


@hookimpl
def llie_register(registries):
    """PairedFolder, LOLv1, LOLv2Real, LOLv2Synthetic, SID, SMID, SyntheticPairs, UnpairedFolder, MixedSources."""
    for cls in DATASET_CLASSES:
        registries.datasets.register_module(module=cls)
