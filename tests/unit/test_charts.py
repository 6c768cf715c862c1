"""app.charts: accessible SVG (a name, a description, a tooltip per bar), axes with round steps, Swedish
number format, and the chart chosen for a report table."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from types import SimpleNamespace

import pytest

from app.charts import chart_for, horizontal_bars, stacked_columns

SVG = "{http://www.w3.org/2000/svg}"


def _parse(markup) -> ET.Element:
    return ET.fromstring(str(markup))


def _tooltips(svg: ET.Element) -> list[str]:
    return [rect.find(f"{SVG}title").text for rect in svg.iter(f"{SVG}rect") if rect.find(f"{SVG}title") is not None]


def _axis_labels(svg: ET.Element, anchor: str) -> list[str]:
    return [t.text for t in svg.iter(f"{SVG}text") if t.get("text-anchor") == anchor and t.get("font-size") == "11"]


def test_a_chart_is_an_image_named_and_described_for_screen_readers():
    svg = _parse(stacked_columns("Avvikelser <2026> & mer", "Staplar per månad.", ["Mars"], [("fall", "Fall")],
                                 [{"fall": 1}]))
    assert svg.get("role") == "img"
    title_id, desc_id = svg.get("aria-labelledby").split()
    assert svg.find(f"{SVG}title").get("id") == title_id and svg.find(f"{SVG}desc").get("id") == desc_id
    assert svg.find(f"{SVG}title").text == "Avvikelser <2026> & mer"  # escaped in the markup, shown as written
    assert svg.find(f"{SVG}desc").text == "Staplar per månad."


def test_stacked_columns_have_a_tooltip_per_segment_and_a_round_axis():
    svg = _parse(stacked_columns("T", "D", ["Januari", "Februari"], [("fall", "Fall"), ("lakemedel", "Läkemedel")],
                                 [{"fall": 2, "lakemedel": 1}, {"fall": 0, "lakemedel": 4}]))
    assert _tooltips(svg) == ["Januari, Fall: 2", "Januari, Läkemedel: 1", "Februari, Läkemedel: 4"]  # no empty segment
    assert _axis_labels(svg, "end") == ["0", "1", "2", "3", "4"]
    assert _axis_labels(svg, "middle") == ["Jan", "Feb"]  # month names shortened under the columns


@pytest.mark.parametrize(("largest", "ticks"), [
    (0, ["0", "1", "2", "3", "4"]),  # an empty chart still has an axis
    (7, ["0", "2", "4", "6", "8"]),
    (13, ["0", "5", "10", "15"]),
    (46, ["0", "20", "40", "60"]),
])
def test_the_axis_counts_in_whole_round_steps(largest, ticks):
    svg = _parse(horizontal_bars("T", "D", ["HG"], [("avvikelser", "Avvikelser")], [{"avvikelser": largest}]))
    assert _axis_labels(svg, "middle") == ticks


def test_bars_show_decimals_with_a_comma_and_the_unit():
    svg = _parse(horizontal_bars("Andel i tid", "D", ["Hemgården"], [("share", "Andel i tid")], [{"share": 66.7}],
                                 unit=" %", maximum=100))
    assert _tooltips(svg) == ["Hemgården: 66,7 %"]
    assert _axis_labels(svg, "middle") == ["0 %", "25 %", "50 %", "75 %", "100 %"]
    two = _parse(horizontal_bars("Ledtid", "D", ["Totalt"], [("median", "Median"), ("p90", "90:e percentilen")],
                                 [{"median": 13.0, "p90": None}], unit=" d"))
    assert _tooltips(two) == ["Totalt, Median: 13 d", "Totalt, 90:e percentilen: – d"]  # a missing value is a dash


def _table(key, rows, columns, total=None):
    return SimpleNamespace(key=key, title=f"Tabell {key}", rows=rows, columns=columns, total=total)


def test_report_tables_get_their_chart_and_other_tables_none():
    matrix = _table("avvikelser_manad_kategori", [{"month": "Mars", "fall": 1, "total": 1}],
                    [("month", "Månad"), ("fall", "Fall"), ("total", "Totalt")], total={"total": 1})
    svg = _parse(chart_for(matrix))
    assert svg.find(f"{SVG}title").text == "Tabell avvikelser_manad_kategori"
    assert "totalt 1" in svg.find(f"{SVG}desc").text and _tooltips(svg) == ["Mars, Fall: 1"]
    follow_up = _table(
        "uppfoljning_i_tid",
        [{"unit": "Hemgården", "share": 100.0}],
        [("unit", "Enhet"), ("share", "Andel")],
        total={"unit": "Totalt", "share": 66.7},
    )
    assert _tooltips(_parse(chart_for(follow_up))) == ["Hemgården: 100 %", "Totalt: 66,7 %"]
    assert chart_for(_table("lex_sarah", [], [("number", "Ärende")])) is None
