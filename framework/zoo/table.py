"""The zoo's one table: each checkpoint's file name, upstream URL, size, hash, licence, citation and owner.

Sources of the numbers: the mmseg URLs are from mmsegmentation 1.2.2's ``configs/*/metafile.yaml``; their file names end
in the first 8 hex digits of the file's sha256 (``tools/misc/publish_model.py``), the only hash published, and their
sizes are not published. SAM's URL is from segment-anything's README; the ``01ec64`` in its file name is the start of
its MD5, not its sha256, so the table holds the full sha256 and size that independent downloads agree on. The CLIP
weights are the file open_clip's ``pretrained.py`` names for ``ViT-B-32``/``openai`` (``hf_hub`` timm copy).
"""
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
    aliases: tuple[str, ...] = ()  # other local file names accepted for it (names older configs used)

    @property
    def full_hash(self) -> bool:
        return len(self.sha256) == 64

    @property
    def local_names(self) -> tuple[str, ...]:
        """The file names a local copy may have: :attr:`file` first, then :attr:`aliases`."""
        return (self.file, *self.aliases)

    def hash_matches(self, sha256_hex: str) -> bool:
        """Whether a file's full sha256 agrees with the table (the whole digest, or the published prefix)."""
        return sha256_hex.lower().startswith(self.sha256.lower())


_RAW = "https://raw.githubusercontent.com"
_EDGENETS = f"{_RAW}/sacmehta/EdgeNets/2b232d3f7fb60658755dad1ebca0ffc895cc795e/model/segmentation/model_zoo/espnetv2"
_SCI = f"{_RAW}/vis-opt-group/SCI/9d28a3f1237df248bb765e7fee16f7c4ac7dbeee/weights"
_MMSEG = "https://download.openmmlab.com/mmsegmentation/v0.5"
_HRNET_W48_PC59 = "fcn_hr48_480x480_40k_pascal_context_59"
_SEGFORMER_B0_ADE = "segformer_mit-b0_512x512_160k_ade20k"
_SAM = "https://dl.fbaipublicfiles.com/segment_anything"
_DEEPSPG = "experiments/deepspg/_base_/deepspg_standard.yaml"
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
             "b17326a26a93bf187ecbab217f9d3c57467a8b56020d4d9ff600ba257bbffb36", "MIT", _SCI_CITE, "SCI",
             config="experiments/baselines/published/sci_easy.yaml"),
    ZooEntry("sci_medium", "sci_medium.pt", f"{_SCI}/medium.pt", 43967,
             "4ff1e7e66e8f18114f790e5085ca4c936f0858e329e7ad1cb65b8aa09a9c6916", "MIT", _SCI_CITE, "SCI",
             config="experiments/baselines/published/sci_medium.yaml"),
    ZooEntry("sci_difficult", "sci_difficult.pt", f"{_SCI}/difficult.pt", 43967,
             "657fa1f280cae1035df0d5cbe628e91f2d0f28660df608a3fa3f7e9a71da5a13", "MIT", _SCI_CITE, "SCI",
             config="experiments/baselines/published/sci_difficult.yaml"),
    ZooEntry("zero_dce", "zero_dce_epoch99.pth",
             f"{_RAW}/Li-Chongyi/Zero-DCE/e0f4adc54d0f23348c4a9b84acc08fe8778d5bfd/Zero-DCE_code/snapshots/Epoch99.pth",
             320017, "a4395acb874f320375d9704997cef874eaaaaa26a1777ceb29a92b70f74c3612",
             "academic research only (non-commercial)",
             "Guo et al., Zero-Reference Deep Curve Estimation for Low-Light Image Enhancement, CVPR 2020", "ZeroDCE",
             config="experiments/baselines/published/zero_dce.yaml"),
    ZooEntry("zero_dce_pp", "zero_dce_pp_epoch99.pth",
             f"{_RAW}/Li-Chongyi/Zero-DCE_extension/09f202b690f82da939b8e6ec8535960ae97ad8bd/Zero-DCE%2B%2B/"
             "snapshots_Zero_DCE%2B%2B/Epoch99.pth",
             52395, "ca8855b90df9a80fa4195a831f33d3476b1964f787eb70602797c773067f3b84", "CC BY-NC 4.0",
             "Li et al., Learning to Enhance Low-Light Image via Zero-Reference Deep Curve Estimation, TPAMI 2021",
             "ZeroDCEPP", config="experiments/baselines/published/zero_dce_pp.yaml"),
    ZooEntry("hrnetv2_w48_pascal_context_59", f"{_HRNET_W48_PC59}_20210410_122738-b808b8b2.pth",
             f"{_MMSEG}/hrnet/{_HRNET_W48_PC59}/{_HRNET_W48_PC59}_20210410_122738-b808b8b2.pth",
             None, "b808b8b2", "Apache-2.0 (mmsegmentation model zoo)",
             "Wang et al., Deep High-Resolution Representation Learning for Visual Recognition, TPAMI 2020",
             "HRNetPrior", _DEEPSPG, note="mmseg FCN on HRNetV2-W48, PASCAL-Context 59 classes, 480x480, 40k iters; "
             "50.33 mIoU by mmseg", aliases=("hrnetv2_w48_pascal_context_59.pth",)),
    ZooEntry("segformer_mit_b0_ade20k", f"{_SEGFORMER_B0_ADE}_20210726_101530-8ffa8fda.pth",
             f"{_MMSEG}/segformer/{_SEGFORMER_B0_ADE}/{_SEGFORMER_B0_ADE}_20210726_101530-8ffa8fda.pth",
             None, "8ffa8fda", "Apache-2.0 (mmsegmentation model zoo)",
             "Xie et al., SegFormer: Simple and Efficient Design for Semantic Segmentation with Transformers, "
             "NeurIPS 2021", "SegFormerPrior", note="mmseg SegFormer MiT-B0, ADE20K 150 classes, 512x512, 160k iters; "
             "37.41 mIoU by mmseg"),
    ZooEntry("sam_vit_b", "sam_vit_b_01ec64.pth", f"{_SAM}/sam_vit_b_01ec64.pth",
             375042383, "ec2df62732614e57411cdcf32a23ffdf28910380d03139ee0f4fcbe91eb8c912", "Apache-2.0",
             "Kirillov et al., Segment Anything, ICCV 2023", "SAMPrior",
             note="full SAM (image encoder, prompt encoder, mask decoder); SAMPrior keeps image_encoder.*"),
    ZooEntry("clip_vit_b32_openai", "clip_vit_b32_openai.safetensors",
             "https://huggingface.co/timm/vit_base_patch32_clip_224.openai/resolve/main/open_clip_model.safetensors",
             605143284, "e6d1bd7789aa45192b3bf90570a789b478bae1b74ebcce7eddd908e83a2b7c31",
             "MIT (OpenAI CLIP)",
             "Radford et al., Learning Transferable Visual Models From Natural Language Supervision, ICML 2021",
             "CLIPTextPrior", _DEEPSPG,
             note="open_clip state_dict (timm's copy of OpenAI's weights); trained with QuickGELU: use the "
             "ViT-B-32-quickgelu architecture",
             aliases=("clip_vit_b32_openai.pt",)),
)}


def entry_for_file(file_name: str) -> ZooEntry | None:
    """The entry whose file (or an alias) is called ``file_name``, or None."""
    return next((e for e in ZOO.values() if file_name in e.local_names), None)


def get_entry(name: str) -> ZooEntry:
    """The entry called ``name``; a one-line :class:`ConfigError` naming the closest names otherwise."""
    entry = ZOO.get(name)
    if entry is None:
        raise ConfigError(f"unknown zoo weights '{name}'{did_you_mean(name, ZOO)}; known: {', '.join(sorted(ZOO))} "
                          f"(or give a path to a local file)")
    return entry
