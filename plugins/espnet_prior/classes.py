"""Class names of the datasets the published ESPNetv2 segmentation weights were trained on, in output order."""
from __future__ import annotations

#: PASCAL VOC 2012: background + 20 object classes (the standard VOC spelling)
VOC_CLASSES: tuple[str, ...] = (
    "background", "aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair", "cow",
    "diningtable", "dog", "horse", "motorbike", "person", "pottedplant", "sheep", "sofa", "train", "tvmonitor",
)

#: Cityscapes: the 19 train ids, then the authors' 20th output "background" — every unlabelled/ignored pixel. It was
#: trained with loss weight 0, so its score carries no information; the authors' test script maps it to label 0
#: ("unlabeled").
CITYSCAPES_CLASSES: tuple[str, ...] = (
    "road", "sidewalk", "building", "wall", "fence", "pole", "traffic light", "traffic sign", "vegetation",
    "terrain", "sky", "person", "rider", "car", "truck", "bus", "train", "motorcycle", "bicycle", "background",
)

DATASET_CLASSES: dict[str, tuple[str, ...]] = {"voc": VOC_CLASSES, "cityscapes": CITYSCAPES_CLASSES}
