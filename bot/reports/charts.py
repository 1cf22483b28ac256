"""Charts drawn with matplotlib as PNG bytes, for embedding in the HTML report.

PNG at 200 dpi rather than SVG: an SVG from matplotlib embeds its fonts as paths and runs to
hundreds of kilobytes per chart, while a PNG at print resolution stays small and looks the same
on screen and paper. The Agg backend is chosen explicitly so no display is ever needed.
"""

from __future__ import annotations

import io

from domain.reporting import Chart

# Colour-blind-safe (Okabe-Ito) and distinguishable when printed in grey.
_COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00")


def chart_png(chart: Chart, width_in: float = 7.0, height_in: float = 3.2) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    from matplotlib.ticker import MaxNLocator

    figure, axes = plt.subplots(figsize=(width_in, height_in), dpi=200)
    try:
        count = len(chart.series)
        positions = list(range(len(chart.categories)))
        if chart.stacked:
            bottoms = [0.0] * len(positions)
            for index, series in enumerate(chart.series):
                bars = axes.bar(
                    positions,
                    series.values,
                    bottom=bottoms,
                    width=0.7,
                    label=series.name,
                    color=_COLOURS[index % len(_COLOURS)],
                    edgecolor="white",
                    linewidth=0.5,
                )
                bottoms = [b + v for b, v in zip(bottoms, series.values, strict=True)]
            # The total above each stack: the number a reader looks for first.
            for x, total in zip(positions, bottoms, strict=True):
                if total:
                    axes.annotate(f"{total:g}", (x, total), ha="center", va="bottom", fontsize=7,
                                  xytext=(0, 2), textcoords="offset points")  # fmt: skip
        else:
            width = 0.8 / max(count, 1)
            for index, series in enumerate(chart.series):
                offset = (index - (count - 1) / 2) * width
                bars = axes.bar(
                    [p + offset for p in positions],
                    series.values,
                    width=width,
                    label=series.name,
                    color=_COLOURS[index % len(_COLOURS)],
                )
                axes.bar_label(bars, labels=[f"{v:g}" for v in series.values], fontsize=7,
                               padding=2)  # fmt: skip
        axes.set_xticks(positions, chart.categories, fontsize=8)
        axes.set_ylabel(chart.y_label, fontsize=8)
        axes.tick_params(axis="y", labelsize=8)
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        axes.margins(y=0.15)
        axes.spines[["top", "right"]].set_visible(False)
        # Above the plot, right-aligned: beside it wastes a third of the width on a page.
        axes.legend(fontsize=8, frameon=False, loc="lower right", bbox_to_anchor=(1.0, 1.0),
                    ncols=len(chart.series))  # fmt: skip
        axes.set_title(chart.title, fontsize=10, loc="left")
        figure.tight_layout()
        buffer = io.BytesIO()
        # No timestamps or software versions in the file: the same figures give the same bytes.
        figure.savefig(buffer, format="png", metadata={"Software": None})
        return buffer.getvalue()
    finally:
        plt.close(figure)
