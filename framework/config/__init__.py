"""Experiment configs: YAML with ``_base_`` inheritance, ``--set`` overrides and validation before any work."""
from .loader import apply_overrides, load_config, parse_override, to_plain
from .schema import SCHEMA, validate

__all__ = ["load_config", "apply_overrides", "parse_override", "to_plain", "validate", "SCHEMA"]
