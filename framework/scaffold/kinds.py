"""What differs between the kinds of component ``llie new-plugin`` writes: registry, class-name suffix, module,
templates, how a config selects it and the sweep row that compares it with the DeepSPG reference."""
from __future__ import annotations

from dataclasses import dataclass

from . import checks, components


@dataclass(frozen=True)
class Kind:
    label: str          # in prose, with its article: "an image prior"
    registry: str       # the llie registry the component enters
    suffix: str         # appended to the CamelCase plugin name (unless it already ends with it)
    module: str         # the component's module inside the package
    component: str      # template of that module
    checks: str         # the kind's tests, after checks.HEAD
    usage: str          # the config line that selects the component
    rows: str           # the sweep's rows after the reference (indented under include:)
    datasets: str = "synthetic"


_NEW_ROW = "    - experiment.method: DeepSPG-tiny + __CLASS__     # the same, with this plugin's component\n"

KINDS: dict[str, Kind] = {
    "image_prior": Kind(
        "an image prior", "image_priors", "Prior", "prior", components.IMAGE_PRIOR, checks.IMAGE_PRIOR,
        "model.image_prior: {type: __CLASS__}", _NEW_ROW + "      model.image_prior: {type: __CLASS__}"),
    "text_prior": Kind(
        "a text prior", "text_priors", "TextPrior", "text_prior", components.TEXT_PRIOR, checks.TEXT_PRIOR,
        "model.text_prior: {type: __CLASS__}", _NEW_ROW + "      model.text_prior: {type: __CLASS__}"),
    "enhancer": Kind(
        "an enhancer", "enhancers", "Enhancer", "enhancer", components.ENHANCER, checks.ENHANCER,
        "model.enhancer: {type: __CLASS__}", _NEW_ROW + "      model.enhancer: {type: __CLASS__}"),
    "loss": Kind(
        "a loss", "losses", "Loss", "loss", components.LOSS, checks.LOSS,
        "model.losses: [..., {type: __CLASS__, weight: 0.1}] (and its name, __NAME__, in train.stages[*].losses)",
        _NEW_ROW + "      model.losses:                               # DeepSPG's five terms, then this one\n"
        "        - {type: PixelLoss, kind: charbonnier, weight: 1.0}\n"
        "        - {type: EdgeLoss, operator: sobel, weight: 0.1}\n"
        "        - {type: SemanticLoss, weight: 0.01}\n"
        "        - {type: MultimodalLoss, weight: 0.001}\n"
        "        - {type: DecompositionLoss, weight: 1.0}\n"
        "        - {type: __CLASS__, weight: 0.1}\n"
        "      train.stages.2.losses: [pixel, edge, semantic, multimodal, __NAME__]   # the fine stage uses it"),
    "dataset": Kind(
        "a dataset", "datasets", "Dataset", "dataset", components.DATASET, checks.DATASET,
        "data.train: {type: __CLASS__, root: /path/to/data, split: train, crop_size: 96}",
        "    # trained and tested on your data (sweeps/__NAME___data.yaml) as well as on the synthetic pairs",
        datasets="synthetic, __NAME___data.yaml"),
}
