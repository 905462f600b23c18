"""Bar charts drawn on the server as SVG: no script, no inline style, text labels beside each bar.
The page puts the same figures in a table under each chart for anyone who cannot see it."""

from dataclasses import dataclass

from django import template

from reports.selectors import Report

register = template.Library()

WIDTH = 720
LABEL_WIDTH = 260
BAR_SPACE = 340
ROW_HEIGHT = 28
BAR_HEIGHT = 18
LABEL_CHARS = 36


@dataclass
class DrawnBar:
    label: str
    full_label: str
    text: str
    y: int
    text_y: int
    width: float
    value_x: float


@register.inclusion_tag("reports/_bar_chart.html")
def bar_chart(report: Report, chart_id: str) -> dict[str, object]:
    bars = report.bars
    top = max((bar.value for bar in bars), default=0) or 1
    drawn = []
    for index, bar in enumerate(bars):
        width = round(BAR_SPACE * bar.value / top, 1)
        label = bar.label if len(bar.label) <= LABEL_CHARS else bar.label[: LABEL_CHARS - 1] + "…"
        y = index * ROW_HEIGHT
        drawn.append(
            DrawnBar(
                label=label,
                full_label=bar.label,
                text=bar.text,
                y=y + (ROW_HEIGHT - BAR_HEIGHT) // 2,
                text_y=y + ROW_HEIGHT // 2 + 5,
                width=width,
                value_x=LABEL_WIDTH + width + 8,
            )
        )
    return {
        "chart": report.table.chart,
        "chart_id": chart_id,
        "bars": drawn,
        "width": WIDTH,
        "height": max(len(drawn), 1) * ROW_HEIGHT,
        "label_x": LABEL_WIDTH - 8,
        "bar_x": LABEL_WIDTH,
        "bar_height": BAR_HEIGHT,
    }
