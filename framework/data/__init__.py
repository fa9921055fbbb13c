"""Data layer: image I/O, paired augmentations, the five published benchmark layouts, synthetic pairs and unpaired
folders, and several of them mixed in every training batch (:mod:`llie.data.mixed`).

Every paired dataset yields ``{'inputs': low 3×H×W, 'data_samples': {'gt': high 3×H×W, 'name', 'low_path',
'high_path'}}`` with float32 values in ``[0, 1]``; see :mod:`llie.data.paired` for the processing order and
randomness, and :mod:`llie.data.io` for how files become pixel values. Unpaired sets (:mod:`llie.data.unpaired`)
yield the same without ``gt``.
"""
from .io import IMAGE_SUFFIXES, image_size, is_image_file, read_image, write_image
from .lol import LOLv1, LOLv2Real, LOLv2Synthetic
from .mixed import MixedBatchSampler, MixedSources, collate_mixed
from .paired import ImagePair, PairedFolder, PairedImageDataset, pair_folder_files
from .sid_smid import PUBLISHED_SIZE, SID, SMID
from .synthetic import SyntheticPairs, available_photos, darken, darken_batch
from .transforms import PairedCompose, PairedFlip, PairedRandomCrop, PairedRotate90, PairedTransform
from .unpaired import UnpairedFolder

#: The dataset classes the built-in 'datasets' plugin registers.
DATASET_CLASSES = (PairedFolder, LOLv1, LOLv2Real, LOLv2Synthetic, SID, SMID, SyntheticPairs, UnpairedFolder,
                   MixedSources)

__all__ = [
    "DATASET_CLASSES", "IMAGE_SUFFIXES", "ImagePair", "LOLv1", "LOLv2Real", "LOLv2Synthetic", "MixedBatchSampler",
    "MixedSources", "PUBLISHED_SIZE",
    "PairedCompose", "PairedFlip", "PairedFolder", "PairedImageDataset", "PairedRandomCrop", "PairedRotate90",
    "PairedTransform", "SID", "SMID", "SyntheticPairs", "UnpairedFolder", "available_photos", "darken", "darken_batch",
    "image_size",
    "collate_mixed", "is_image_file", "pair_folder_files", "read_image", "write_image",
]
