"""Arguments and steps shared by several commands."""
from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mmengine.config import Config

log = logging.getLogger(__name__)

#: the dataset sections ``--skip-bad-pairs`` applies to
DATA_SPLITS = ("train", "val", "test")


class _IntermixedParser(argparse.ArgumentParser):
    """Reads options first, then every positional together: argparse alone assigns positionals chunk by chunk
    between options, so an optional CONFIG followed by options and more positionals (``CONFIG --checkpoint C IN
    OUT``) would be misread."""

    def parse_known_args(self, args=None, namespace=None):  # type: ignore[override]
        if getattr(self, "_intermixing", False):
            return super().parse_known_args(args, namespace)
        self._intermixing = True
        try:
            return self.parse_known_intermixed_args(args, namespace)
        finally:
            self._intermixing = False


def add_config_args(parser: argparse.ArgumentParser, *, optional: bool = False) -> None:
    """``optional``: CONFIG may be omitted when ``--checkpoint`` is a file written by ``llie export``."""
    if optional:
        parser.__class__ = _IntermixedParser  # a subparser is made by its subparsers action: switch its parsing
        parser.add_argument("config", nargs="?", help="experiment YAML file (optional with an exported checkpoint: "
                                                      "its own config is used)")
    else:
        parser.add_argument("config", help="experiment YAML file")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="override a config value, e.g. --set train.max_iters=100 (repeatable; '+key=v' adds)")


def add_skip_bad_pairs_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--skip-bad-pairs", action="store_true",
                        help="log and skip unusable image pairs (no partner, size mismatch, unreadable file) instead "
                             "of failing; sets skip_bad_pairs: true on every dataset of the config")


def resolve_config(args: argparse.Namespace) -> "Config":
    from ..config import load_config
    from ..errors import ConfigError

    exported = _exported_config(args)
    if exported is not None:
        cfg = exported
    elif args.config is None:
        raise ConfigError("CONFIG is required unless --checkpoint is a file written by `llie export`")
    else:
        cfg = load_config(args.config, args.overrides)
    if getattr(args, "skip_bad_pairs", False):
        set_skip_bad_pairs(cfg)
    return cfg


def _exported_config(args: argparse.Namespace) -> "Config | None":
    """The config to use when ``--checkpoint`` is an exported file (see :mod:`llie.engine.export`), else None."""
    checkpoint = getattr(args, "checkpoint", None)
    if checkpoint is None:
        return None
    from ..engine.export import config_for_export, exported_config

    exported = exported_config(checkpoint)
    if exported is None:
        return None
    return config_for_export(checkpoint, exported, args.config, args.overrides)


def set_skip_bad_pairs(cfg: "Config") -> list[str]:
    """Set ``skip_bad_pairs: true`` on the config's paired datasets (``data.train/val/test``) and
    ``skip_bad_images: true`` on its unpaired folders; returns the keys set.

    Datasets that are neither (a third party's) do not take the option; they are left as they are, with a warning.
    """
    data = cfg.get("data") or {}
    done = []
    for split in DATA_SPLITS:
        ds_cfg = data.get(split)
        if not isinstance(ds_cfg, dict) or not isinstance(ds_cfg.get("type"), str):
            continue
        option = skip_option(ds_cfg["type"])
        if option is None:
            log.warning("--skip-bad-pairs: data.%s (%s) is not a paired-image dataset; left as it is",
                        split, ds_cfg["type"])
            continue
        ds_cfg[option] = True
        done.append(f"data.{split}.{option}")
    return done


def skip_option(dataset_type: str) -> str | None:
    """The option that makes dataset ``dataset_type`` skip unusable items: ``skip_bad_pairs`` (paired datasets),
    ``skip_bad_images`` (unpaired folders), or None (a dataset that takes neither)."""
    from ..data.paired import PairedImageDataset
    from ..data.unpaired import UnpairedFolder
    from ..registry import get_component

    cls = get_component("datasets", dataset_type)
    if isinstance(cls, type) and issubclass(cls, PairedImageDataset):
        return "skip_bad_pairs"
    if isinstance(cls, type) and issubclass(cls, UnpairedFolder):
        return "skip_bad_images"
    return None


def default_work_dir(cfg: "Config") -> Path:
    name = (cfg.get("experiment") or {}).get("name") or Path(cfg.filename).stem
    return Path(cfg.get("work_dir") or Path("work_dirs") / name)
