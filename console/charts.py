"""Simple chart data for server-rendered SVG: positions computed here, drawn by templates.

Templates (templates/components/chart_*.html) turn these into SVG with `<title>`/`<desc>`,
`role="img"` and `aria-labelledby`, and write the numbers as text too, so a chart reads without
JavaScript, without colour and without sight. Every label is escaped by the template engine: nothing
here is marked safe. Coordinates are in the SVG's own units (`WIDTH` wide), so no inline style.
"""

from __future__ import annotations

from dataclasses import dataclass

from console.quota import NEARLY_FULL, Gauge

WIDTH = 1000  # viewBox width of every bar chart


@dataclass(frozen=True)
class Segment:
    label: str
    value: int
    x: float
    width: float
    tone: str  # a CSS modifier: volumes, snapshots, used, ok, busy, error, gone, unknown


@dataclass(frozen=True)
class Marker:
    label: str
    x: float
    tone: str  # nearly-full or full


@dataclass(frozen=True)
class QuotaChart:
    """One quota as a bar: used (split into parts) against the limit, with the 80% and 100% marks."""

    chart_id: str
    gauge: Gauge
    segments: tuple[Segment, ...]
    markers: tuple[Marker, ...]
    limit_x: float | None  # where the limit is on the bar; None when unknown or unlimited
    width: int = WIDTH

    @property
    def title(self) -> str:
        return f"{self.gauge.label}: {self.summary}"

    @property
    def summary(self) -> str:
        """The chart in words (its <desc>, and the text beside it)."""
        gauge = self.gauge
        unit = f" {gauge.unit}" if gauge.unit else ""
        if not gauge.known:
            return f"{gauge.used}{unit} used; the limit is unknown"
        if gauge.unlimited:
            return f"{gauge.used}{unit} used; unlimited"
        return f"{gauge.used}{unit} of {gauge.limit}{unit} used ({gauge.percent}%)"

    @property
    def parts_text(self) -> str:
        return ", ".join(f"{segment.label} {segment.value}" for segment in self.segments if segment.value)


def quota_chart(*, chart_id: str, gauge: Gauge, parts: list[tuple[str, int, str]]) -> QuotaChart:
    """A quota bar. `parts` are (label, value, tone) that add up to `gauge.used` (else one "used" part)."""
    if sum(value for _, value, _ in parts) != gauge.used:
        parts = [("Used", gauge.used, "used")]
    limited = gauge.known and not gauge.unlimited
    scale = max(gauge.used, gauge.limit or 0, 1) if limited else max(gauge.used, 1)
    if limited and gauge.limit == 0:
        scale = max(gauge.used, 1)
    segments = []
    x = 0.0
    for label, value, tone in parts:
        width = WIDTH * value / scale
        segments.append(Segment(label, value, round(x, 1), round(width, 1), tone))
        x += width
    markers: tuple[Marker, ...] = ()
    limit_x = None
    if limited and gauge.limit:
        limit_x = round(WIDTH * gauge.limit / scale, 1)
        markers = (
            Marker(
                f"{round(NEARLY_FULL * 100)}%: nearly full", round(limit_x * NEARLY_FULL, 1), "nearly-full"
            ),
            Marker("100%: full", limit_x, "full"),
        )
    return QuotaChart(chart_id, gauge, tuple(segments), markers, limit_x)


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    width: float
    href: str
    tone: str


@dataclass(frozen=True)
class BarList:
    """Horizontal bars, one per row (gigabytes per zone, resources per status)."""

    chart_id: str
    title: str
    unit: str
    bars: tuple[Bar, ...]
    width: int = WIDTH

    @property
    def total(self) -> int:
        return sum(bar.value for bar in self.bars)

    @property
    def summary(self) -> str:
        unit = f" {self.unit}" if self.unit else ""
        if not self.bars:
            return "nothing yet"
        return "; ".join(f"{bar.label}: {bar.value}{unit}" for bar in self.bars)


def bar_list(*, chart_id: str, title: str, unit: str, rows: list[tuple[str, int, str, str]]) -> BarList:
    """Bars from (label, value, link, tone) rows, scaled to the largest value."""
    largest = max((value for _, value, _, _ in rows), default=0) or 1
    bars = tuple(
        Bar(label, value, round(WIDTH * value / largest, 1), href, tone) for label, value, href, tone in rows
    )
    return BarList(chart_id, title, unit, bars)
