"""One exception family for every user-facing failure, so the CLI can print one clear line instead of a traceback."""
from __future__ import annotations

import difflib
import re
from collections.abc import Iterable


class LLIEError(Exception):
    """Base of every error the framework raises on purpose; its message is meant for the user as is."""


class ConfigError(LLIEError):
    """A config file, key or value is wrong; the message names the file and key."""


class RegistryError(LLIEError, KeyError):
    """A component name is not registered; the message names the registry and the closest names."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class DataError(LLIEError):
    """A dataset root, image file or image pair is unusable; the message names the path(s)."""


class CheckpointError(LLIEError):
    """A checkpoint is missing, truncated, unsafe or does not fit the model."""


class PluginError(LLIEError):
    """A plugin failed to load and the config needs it."""


def closest(name: str, candidates: Iterable[str], n: int = 3) -> list[str]:
    """Closest known names to ``name``: difflib matches first, then case-insensitive substrings."""
    pool = sorted(set(candidates))
    found = difflib.get_close_matches(name, pool, n=n, cutoff=0.5)
    lowered = name.lower()
    for cand in pool:
        if len(found) >= n:
            break
        if cand not in found and (lowered in cand.lower() or cand.lower() in lowered):
            found.append(cand)
    return found


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """A ' (did you mean …?)' suffix, or '' when nothing is close."""
    near = closest(name, candidates)
    return f" (did you mean {', '.join(repr(c) for c in near)}?)" if near else ""


class NonFiniteLossError(LLIEError):
    """A loss term became NaN or Inf; training stops before the optimiser step so the last checkpoint stays good."""


def user_message(exc: BaseException) -> str:
    """The line to show for ``exc``: its message, or — when a DataLoader worker re-raised it with the worker's whole
    traceback folded into the message — the original error's own message (the traceback's last line)."""
    text = str(exc)
    if "\nOriginal Traceback" not in text:
        return text
    last = [line for line in text.splitlines() if line.strip()][-1]
    return re.sub(r"^[\w.]+: ", "", last.strip(), count=1)
