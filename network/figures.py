"""The network overview's figures: its current partners by sector, as a table and a bar chart."""

import plotly.graph_objects as go

from core import figures
from core.figures import Chart, Table, chart
from network import selectors


def sector_figures(summary: selectors.NetworkSummary) -> tuple[Table, Chart]:
    table = Table(
        caption="Current partners by sector",
        columns=["Sector", "Partners"],
        rows=[list(row) for row in summary.by_sector],
        slug="partners-by-sector",
    )
    labels, counts = zip(*summary.by_sector, strict=True)
    figure = go.Figure(go.Bar(x=list(counts), y=list(labels), orientation="h", marker_color=figures.BLUE))
    figure.update_layout(yaxis={"autorange": "reversed"}, xaxis={"title": "Partners", "dtick": 1}, height=420)
    missing = ", ".join(label for label, count in summary.by_sector if not count) or "none"
    text = f"Bar chart of current partners by sector. Sectors with no partner: {missing}."
    return table, chart(figure, summary=text, element_id="sector-chart")
