"""Arguments and steps shared by several commands."""
from __future__ import annotations

import argparse
from pathlib import Path

from mmengine.config import Config

from ..config import load_config


def add_config_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("config", help="experiment YAML file")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="override a config value, e.g. --set train.max_iters=100 (repeatable; '+key=v' adds)")


def resolve_config(args: argparse.Namespace) -> Config:
    return load_config(args.config, args.overrides)


def default_work_dir(cfg: Config) -> Path:
    name = (cfg.get("experiment") or {}).get("name") or Path(cfg.filename).stem
    return Path(cfg.get("work_dir") or Path("work_dirs") / name)
