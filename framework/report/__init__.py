"""Paper-ready reports of a sweep: comparison and ablation tables (Markdown, LaTeX, CSV), seaborn plots, image
grids and a static ``index.html``. Entry point: :func:`build_report` (``llie report``)."""
from .builder import Report, build_report

__all__ = ["Report", "build_report"]
