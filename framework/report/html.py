"""``index.html``: one static page (no scripts, no external assets, relative links) that opens offline and shows
every table, plot and image grid of a report, with links to the Markdown, LaTeX and CSV files. A link or image is
only emitted for a file that exists, so the page never points at nothing.
"""
from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path

STYLE = """
body { font-family: sans-serif; margin: 2em auto; max-width: 1200px; padding: 0 1em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; font-size: 0.9em; }
caption { caption-side: top; text-align: left; font-weight: bold; padding-bottom: 0.4em; }
th, td { padding: 0.25em 0.6em; text-align: right; }
th[scope=row] { text-align: left; font-weight: normal; }
thead th { border-bottom: 1px solid #444; text-align: center; }
tbody tr:last-child th, tbody tr:last-child td { border-bottom: 2px solid #444; }
thead tr:first-child th { border-top: 2px solid #444; }
figure { margin: 1em 0; } img { max-width: 100%; border: 1px solid #ddd; }
.files a { margin-right: 1em; } .notes li { color: #8a4b00; }
"""


@dataclass
class Page:
    """What goes on the page; paths are relative to the report folder ``root``."""

    root: Path
    title: str
    parts: list[str] = field(default_factory=list)

    def heading(self, text: str, level: int = 2) -> None:
        self.parts.append(f"<h{level}>{html.escape(text)}</h{level}>")

    def paragraph(self, text: str) -> None:
        self.parts.append(f"<p>{html.escape(text)}</p>")

    def raw(self, fragment: str) -> None:
        self.parts.append(fragment)

    def links(self, files: list[str]) -> None:
        present = [f for f in files if (self.root / f).is_file()]
        if present:
            self.parts.append('<p class="files">' + " ".join(
                f'<a href="{html.escape(f)}">{html.escape(f)}</a>' for f in present) + "</p>")

    def figure(self, file: str, caption: str) -> None:
        if (self.root / file).is_file():
            self.parts.append(f'<figure><a href="{html.escape(file)}"><img src="{html.escape(file)}" '
                              f'alt="{html.escape(caption)}"></a><figcaption>{html.escape(caption)}</figcaption>'
                              f"</figure>")

    def notes(self, notes: list[str]) -> None:
        if notes:
            self.heading("Notes")
            self.parts.append('<ul class="notes">' + "".join(f"<li>{html.escape(n)}</li>" for n in notes) + "</ul>")

    def render(self) -> str:
        return "\n".join(["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
                          f"<title>{html.escape(self.title)}</title>", f"<style>{STYLE}</style>", "</head>",
                          "<body>", f"<h1>{html.escape(self.title)}</h1>", *self.parts, "</body>", "</html>", ""])
