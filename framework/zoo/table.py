"""The zoo's one table: each checkpoint's file name, upstream URL, size, hash, licence, citation and owner."""
from __future__ import annotations

from dataclasses import dataclass

from ..errors import ConfigError, did_you_mean


@dataclass(frozen=True)
class ZooEntry:
    """One published checkpoint.

    ``sha256`` is the full hex digest when known; where only a prefix is published (mmseg's and SAM's file names carry
    the first 8 / 6 hex digits) it is that prefix, and the check compares the prefix.
    """

    name: str
    file: str
    url: str
    size: int | None
    sha256: str
    licence: str
    citation: str
    component: str  # the registered class that loads it, e.g. "ESPNetv2Prior"
    config: str = ""  # a shipped config that uses it
    note: str = ""

    @property
    def full_hash(self) -> bool:
        return len(self.sha256) == 64


_RAW = "https://raw.githubusercontent.com"
_EDGENETS = f"{_RAW}/sacmehta/EdgeNets/2b232d3f7fb60658755dad1ebca0ffc895cc795e/model/segmentation/model_zoo/espnetv2"
_SCI = f"{_RAW}/vis-opt-group/SCI/9d28a3f1237df248bb765e7fee16f7c4ac7dbeee/weights"
_ESPNET_CITE = "Mehta et al., ESPNetv2: A Light-weight, Power Efficient, and General Purpose CNN, CVPR 2019"
_SCI_CITE = "Ma et al., Toward Fast, Flexible, and Robust Low-Light Image Enhancement, CVPR 2022"

ZOO: dict[str, ZooEntry] = {e.name: e for e in (
    ZooEntry("espnetv2_voc", "espnetv2_s2.0_pascal_voc_384.pth", f"{_EDGENETS}/espnetv2_s_2.0_pascal_384x384.pth",
             3376138, "bc479586b0ba9254e02589020346931a14d99028ad6bac4817198be6d9e719a6", "MIT", _ESPNET_CITE,
             "ESPNetv2Prior", config="experiments/deepspg/deepspg_espnet.yaml",
             note="PASCAL VOC 2012, 21 classes, 384x384"),
    ZooEntry("espnetv2_cityscapes", "espnetv2_s2.0_cityscapes_1024x512.pth",
             f"{_EDGENETS}/espnetv2_s_2.0_city_1024x512.pth",
             3376094, "a72d59699801c7ce8e8b89a53af9097eaaa60dc12180ecde86fd700ba1222fe8", "MIT", _ESPNET_CITE,
             "ESPNetv2Prior", note="Cityscapes, 19 classes + ignore"),
    ZooEntry("sci_easy", "sci_easy.pt", f"{_SCI}/easy.pt", 43967,
             "b17326a26a93bf187ecbab217f9d3c57467a8b56020d4d9ff600ba257bbffb36", "MIT", _SCI_CITE, "SCI"),
    ZooEntry("sci_medium", "sci_medium.pt", f"{_SCI}/medium.pt", 43967,
             "4ff1e7e66e8f18114f790e5085ca4c936f0858e329e7ad1cb65b8aa09a9c6916", "MIT", _SCI_CITE, "SCI"),
    ZooEntry("sci_difficult", "sci_difficult.pt", f"{_SCI}/difficult.pt", 43967,
             "657fa1f280cae1035df0d5cbe628e91f2d0f28660df608a3fa3f7e9a71da5a13", "MIT", _SCI_CITE, "SCI"),
    ZooEntry("zero_dce", "zero_dce_epoch99.pth",
             f"{_RAW}/Li-Chongyi/Zero-DCE/e0f4adc54d0f23348c4a9b84acc08fe8778d5bfd/Zero-DCE_code/snapshots/Epoch99.pth",
             320017, "a4395acb874f320375d9704997cef874eaaaaa26a1777ceb29a92b70f74c3612",
             "academic research only (non-commercial)",
             "Guo et al., Zero-Reference Deep Curve Estimation for Low-Light Image Enhancement, CVPR 2020", "ZeroDCE"),
    ZooEntry("zero_dce_pp", "zero_dce_pp_epoch99.pth",
             f"{_RAW}/Li-Chongyi/Zero-DCE_extension/09f202b690f82da939b8e6ec8535960ae97ad8bd/Zero-DCE%2B%2B/"
             "snapshots_Zero_DCE%2B%2B/Epoch99.pth",
             52395, "ca8855b90df9a80fa4195a831f33d3476b1964f787eb70602797c773067f3b84", "CC BY-NC 4.0",
             "Li et al., Learning to Enhance Low-Light Image via Zero-Reference Deep Curve Estimation, TPAMI 2021",
             "ZeroDCEPP"),
)}


def get_entry(name: str) -> ZooEntry:
    """The entry called ``name``; a one-line :class:`ConfigError` naming the closest names otherwise."""
    entry = ZOO.get(name)
    if entry is None:
        raise ConfigError(f"unknown zoo weights '{name}'{did_you_mean(name, ZOO)}; known: {', '.join(sorted(ZOO))} "
                          f"(or give a path to a local file)")
    return entry
