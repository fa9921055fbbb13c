"""``llie weights`` — the model zoo: list the known checkpoints and where they are, fetch them, verify local copies."""
from __future__ import annotations

import argparse


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("weights", help="the model zoo: list, fetch and verify pretrained weights")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="every zoo checkpoint: size, licence, where it is found (or missing)")
    listing.set_defaults(func=run_list)
    fetch = actions.add_parser("fetch", help="download checkpoints into the user cache (verified by sha256)")
    fetch.add_argument("names", nargs="*", metavar="NAME", help="zoo names (see `llie weights list`)")
    fetch.add_argument("--all", action="store_true", help="every checkpoint in the zoo")
    fetch.set_defaults(func=run_fetch)
    verify = actions.add_parser("verify", help="hash every local copy; exit status 1 when one does not match")
    verify.add_argument("names", nargs="*", metavar="NAME", help="only these zoo names (default: all)")
    verify.set_defaults(func=run_verify)


def _size(n: int | None) -> str:
    if n is None:
        return "?"
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000  # type: ignore[assignment]
    return str(n)


def _entries(names: list[str]) -> list:
    from ..zoo import ZOO, get_entry

    return [get_entry(n) for n in names] if names else list(ZOO.values())


def run_list(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from ..zoo import ZOO, cache_dir, find_local, weights_dirs

    table = Table(title="llie model zoo")
    table.add_column("name", no_wrap=True)
    table.add_column("size", justify="right", no_wrap=True)
    for col in ("licence", "where"):
        table.add_column(col, overflow="fold")
    for entry in ZOO.values():
        local = find_local(entry)
        table.add_row(entry.name, _size(entry.size), entry.licence, str(local) if local else "[red]missing[/red]")
    console = Console()
    console.print(table)
    console.print(f"searched: {', '.join(str(d) for d in weights_dirs())}; downloads go to {cache_dir()}")
    return 0


def run_fetch(args: argparse.Namespace) -> int:
    from ..errors import ConfigError
    from ..zoo import fetch, find_local

    if not args.names and not args.all:
        raise ConfigError("llie weights fetch: name the weights to fetch (see `llie weights list`) or pass --all")
    for entry in _entries([] if args.all else args.names):
        already = find_local(entry)
        path = fetch(entry)
        print(f"{entry.name}: {'already at' if already else 'downloaded to'} {path}")
    return 0


def run_verify(args: argparse.Namespace) -> int:
    from ..zoo import file_sha256, local_copies

    bad = checked = 0
    for entry in _entries(args.names):
        copies = local_copies(entry)
        if not copies:
            print(f"{entry.name}: missing")
        for path in copies:
            checked += 1
            digest = file_sha256(path)
            size = path.stat().st_size
            if entry.hash_matches(digest) and entry.size in (None, size):
                scope = "" if entry.full_hash else f" (published prefix {entry.sha256})"
                print(f"{entry.name}: OK {path} sha256 {digest}{scope}")
            else:
                bad += 1
                print(f"{entry.name}: MISMATCH {path}: {size} bytes, sha256 {digest}; expected "
                      f"{entry.size if entry.size is not None else '?'} bytes, sha256 {entry.sha256}"
                      f"{'' if entry.full_hash else '…'}")
    print(f"{checked} local file(s) checked, {bad} mismatch(es)")
    return 1 if bad else 0
