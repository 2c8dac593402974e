"""console.charts: where bars and marks go, for the shapes a quota can take."""

from __future__ import annotations

from console.charts import WIDTH, bar_list, quota_chart
from console.quota import Gauge


def chart(used: int, limit: int | None, parts=None):
    gauge = Gauge("Volumes and snapshots", "", used, limit)
    return quota_chart(chart_id="c", gauge=gauge, parts=parts or [("Volumes", used, "volumes")])


def test_marks_at_80_and_100_percent_of_the_limit():
    c = chart(4, 10)
    assert [m.x for m in c.markers] == [0.8 * WIDTH, WIDTH]
    assert c.segments[0].width == 0.4 * WIDTH
    assert c.summary == "4 of 10 used (40%)"


def test_usage_above_the_limit_widens_the_scale_so_the_limit_mark_stays_inside():
    c = chart(15, 10)
    assert c.segments[0].width == WIDTH and c.limit_x == round(WIDTH * 10 / 15, 1)
    assert c.gauge.state == "full" and c.summary == "15 of 10 used (150%)"


def test_zero_unlimited_and_unknown_limits_have_no_marks():
    assert chart(0, 0).markers == () and chart(0, 0).gauge.state == "full"
    assert chart(3, -1).markers == () and chart(3, -1).summary == "3 used; unlimited"
    assert chart(3, None).markers == () and chart(3, None).summary == "3 used; the limit is unknown"


def test_parts_that_do_not_add_up_become_one_used_part():
    c = chart(8, 10, parts=[("Volumes", 3, "volumes"), ("Snapshots", 1, "snapshots")])
    assert [(s.label, s.value) for s in c.segments] == [("Used", 8)]


def test_bar_list_scales_to_the_largest_value():
    rows = [("az1", 5, "/a", "zone"), ("az2", 10, "/b", "zone")]
    bars = bar_list(chart_id="b", title="t", unit="GB", rows=rows)
    assert [b.width for b in bars.bars] == [WIDTH / 2, WIDTH]
    assert bars.summary == "az1: 5 GB; az2: 10 GB"
    assert bar_list(chart_id="e", title="t", unit="", rows=[]).summary == "nothing yet"
