"""Every piece of text of every report figure lies inside the figure: long titles are wrapped (or set smaller)."""
from __future__ import annotations

import pandas as pd
import pytest
from report_store_factory import make_results

from llie.report.aggregate import summarise
from llie.report.plots import bars_figure, curves_figure, fit_titles, flops_figure, heatmap_figure

LONG = {"DeepSPG": "DeepSPG with HRNet-W48 and CLIP ViT-B/32 priors", "U-Net": "U-Net",
        "Base_50%&co": "Base_50%&co"}


def outside(fig) -> list[str]:
    """What is drawn outside the figure (1 px tolerance): each axes with its titles, tick and axis labels and
    legend, and the figure's own title."""
    fig.draw_without_rendering()
    renderer = fig.canvas.get_renderer()
    parts = [(f"axes {ax.get_title()!r}", ax.get_tightbbox(renderer)) for ax in fig.axes]
    parts += [(f"text {t.get_text()!r}", t.get_window_extent(renderer)) for t in fig.texts if t.get_text()]
    if fig._suptitle is not None:
        parts.append((f"title {fig._suptitle.get_text()!r}", fig._suptitle.get_window_extent(renderer)))
    box = fig.bbox
    return [f"{what}: x {b.x0:.0f}..{b.x1:.0f} of {box.width:.0f}, y {b.y0:.0f}..{b.y1:.0f} of {box.height:.0f}"
            for what, b in parts if b is not None and (b.x0 < box.x0 - 1 or b.x1 > box.x1 + 1
                                                       or b.y0 < box.y0 - 1 or b.y1 > box.y1 + 1)]


@pytest.fixture(scope="module")
def narrow():
    """Two rows on one dataset plus an extra evaluation set, under settings with a long caption: narrow figures
    with long titles."""
    frame = make_results()
    frame = frame[(frame["method"] != "Base_50%&co") & (frame["dataset"] == "lolv1")]
    frame = frame.assign(method=frame["method"].map(LONG), crop_border=4, y_channel=True)
    extra = frame.assign(dataset="lol_sample", extra_eval=True, train_dataset="lolv1")
    return summarise(pd.concat([frame, extra], ignore_index=True), "demo")[0]


def figures(summary):
    curves = pd.DataFrame({"step": [1, 2, 1, 2], "term": "loss", "value": [1.0, 0.5, 2.0, 1.0],
                           "row": [summary.rows[0]] * 2 + [summary.rows[1]] * 2, "dataset": "lolv1",
                           "seed": 0, "cell_id": ["a", "a", "b", "b"]})
    return {"bars": bars_figure(summary), "heatmap": heatmap_figure(summary, summary.rows[0]),
            "flops": flops_figure(summary), "curves": curves_figure(curves, rows=summary.rows)}


def test_the_titles_of_narrow_figures_would_be_cut_without_fitting(narrow):
    bars = bars_figure(narrow)
    assert outside(bars), "the fixture is not narrow enough to test anything"


@pytest.mark.parametrize("kind", ["bars", "heatmap", "flops", "curves"])
def test_every_text_lies_inside_its_figure(narrow, kind):
    fig = fit_titles(figures(narrow)[kind])
    assert outside(fig) == []
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    if fig._suptitle is not None:
        titles.append(fig._suptitle.get_text())
    assert titles and all(t.strip() for t in titles)  # wrapped, not dropped
