"""Tests of the HTML report (outputs.report)."""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

import geopandas as gpd
from shapely.geometry import Point

from kotacerdas_gis.accounting import Ledger
from kotacerdas_gis.outputs.report import format_value, render_report, write_report


def make_summary(demonstration: bool = True) -> dict:
    ledger = Ledger()
    step = ledger.step("read buildings", source="buildings.gpkg|buildings", n_in=10)
    step.repair("invalid geometry fixed with make_valid", 2)
    step.reject("empty geometry", 1)
    return {
        "scenario": {
            "name": "Masamba 2020",
            "demonstration": demonstration,
            "layers": {"buildings": 9, "roads": 4},
            "provenance": {
                "buildings": {
                    "source": "reconstruction",
                    "date": "2024-01-01",
                    "licence": "CC-BY 4.0",
                }
            },
        },
        "validation": ledger.to_records(),
        "hazard": {
            "calibration": {"hit_rate": 0.8125, "false_alarm_ratio": 0.125},
            "zone_areas": [
                {"hazard_class": "high", "area_m2": 1250000.0},
                {"hazard_class": "low", "area_m2": 830500.5},
            ],
        },
        "impact": pd.DataFrame({"exposure_class": ["residential", "health"], "affected": [120, 3]}),
        "access": {"isolated_villages": ["Bone Tua", "Kappuna"]},
        "weather_station_plan": {"n_sites": 3, "notes": "<script>alert(1)</script>"},
    }


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):  # noqa: D102
        self.tags.append(tag)
        self.urls += [v for k, v in attrs if k in ("src", "href") and v]


def test_sections_in_order_with_known_headings(tmp_path: Path) -> None:
    path = write_report(
        make_summary(), tmp_path / "report.html", title="Laporan Masamba", lang="id"
    )
    html = path.read_text(encoding="utf-8")
    ids = re.findall(r'<section id="section-([a-z_]+)"', html)
    assert ids == ["scenario", "validation", "hazard", "impact", "access", "weather_station_plan"]
    for heading in (
        "Skenario dan data",
        "Pemeriksaan data",
        "Bahaya banjir",
        "Dampak",
        "Aksesibilitas",
        "Weather station plan",
    ):
        assert f"<h2>{heading}</h2>" in html
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]


def test_demonstration_notice_only_when_flagged() -> None:
    html = render_report(make_summary(True), title="t", lang="en")
    assert "Demonstration data, not official data." in html
    assert html.index('class="banner"') < html.index("<section")
    html_id = render_report(make_summary(True), title="t", lang="id")
    assert "bukan data resmi" in html_id
    assert 'class="banner"' not in render_report(make_summary(False), title="t", lang="en")


def test_validation_steps_are_a_table_with_counts_and_reasons() -> None:
    html = render_report(make_summary(), title="t", lang="en")
    sec = html[html.index('id="section-validation"') : html.index('id="section-hazard"')]
    for col in ("Step", "In", "Repaired", "Rejected", "Out", "Rejection reasons"):
        assert f'<th scope="col">{col}</th>' in sec
    cells = re.findall(r"<td[^>]*>(.*?)</td>", sec, flags=re.S)
    assert cells[:7] == [
        "read buildings",
        "buildings.gpkg|buildings",
        "10",
        "2",
        "1",
        "9",
        "invalid geometry fixed with make_valid: 2",
    ]
    assert "empty geometry: 1" in sec


def test_numbers_and_colours_follow_language_and_palette() -> None:
    en = render_report(make_summary(), title="t", lang="en")
    idn = render_report(make_summary(), title="t", lang="id")
    assert "1,250,000" in en and "830,500.5" in en and "0.8125" not in en
    assert "1.250.000" in idn and "830.500,5" in idn
    assert 'style="background: #F03B20"' in en and ">High</td>" in en.replace("\n", "")
    assert "0.81" in en and "0,81" in idn


def test_generic_sections_dataframes_and_lists() -> None:
    html = render_report(make_summary(), title="t", lang="en")
    impact = html[html.index('id="section-impact"') : html.index('id="section-access"')]
    assert '<th scope="col">Exposure class</th>' in impact and ">120</td>" in impact
    assert "Bone Tua, Kappuna" in html
    gdf = gpd.GeoDataFrame({"site_id": ["S1"]}, geometry=[Point(0, 0)], crs="EPSG:32751")
    html = render_report({"sensors": gdf}, title="t", lang="en")
    assert "S1" in html and "POINT" not in html and "geometry" not in html


def test_everything_is_escaped_and_nothing_external() -> None:
    summary = make_summary()
    summary["scenario"]["name"] = '<img src="https://x.example/a.png">'
    html = render_report(summary, title="<i>T</i> & co", lang="en")
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    assert "<img" not in html and "&lt;img" in html
    assert "<title>&lt;i&gt;T&lt;/i&gt; &amp; co</title>" in html
    parser = _Collector()
    parser.feed(html)
    assert parser.urls == [] and "link" not in parser.tags and "script" not in parser.tags
    assert "@import" not in html and "url(" not in html


def test_format_value() -> None:
    assert format_value(1234, "id") == "1.234"
    assert format_value(-0.5, "en") == "-0.5"
    assert format_value(float("nan"), "en") == "–"
    assert format_value(False, "en") == "No"
    assert format_value(dt.date(2020, 7, 13), "id") == "2020-07-13"


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="lang"):
        render_report({}, title="t", lang="de")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="mapping"):
        render_report([1, 2], title="t")  # type: ignore[arg-type]
    assert "Ringkasan kosong." in render_report({}, title="t", lang="id")
