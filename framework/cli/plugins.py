"""``llie plugins`` — every registered component by kind, with the plugin that provided it."""
from __future__ import annotations

import argparse



def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("plugins", help="list registered components and the plugins that provide them")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from ..plugin_door import ensure_plugins_loaded
    from ..registry import REGISTRIES

    state = ensure_plugins_loaded()
    table = Table(title="llie components")
    for col in ("kind", "name", "plugin"):
        table.add_column(col)
    for kind, registry in REGISTRIES.items():
        for name in sorted(registry.module_dict):
            table.add_row(kind, name, state.provider.get((kind, name), "?"))
    console = Console()
    console.print(table)
    console.print(f"plugins loaded: {', '.join(state.loaded) or 'none'}")
    for name, reason in sorted(state.failed.items()):
        console.print(f"[red]plugin '{name}' failed: {reason}[/red]")
    return 0
