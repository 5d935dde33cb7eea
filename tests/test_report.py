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


# ------------------------------------------------------------------ the plan's report (document)

import json  # noqa: E402
import warnings  # noqa: E402

import kotacerdas_gis as kc  # noqa: E402
from kotacerdas_gis.outputs.report_content import quality_in_words  # noqa: E402
from kotacerdas_gis.outputs.summary import plan_layers, plan_summary  # noqa: E402
from kotacerdas_gis.testing import tiny_flood, tiny_scenario  # noqa: E402

XSS = "<img src=x onerror=alert(1)>"
XSS2 = "</script><script>alert(2)</script>"


def _tiny_plan(focus: str | None = "Bone", *, names: tuple[str, str] = ("Bone", "Kappuna")):
    sc = tiny_scenario(flood=tiny_flood())
    if names != ("Bone", "Kappuna"):
        import dataclasses

        desa = sc.admin_desa.copy()
        desa["admin_name"] = list(names)
        fac = sc.facilities.copy()
        fac["name"] = [XSS2]
        sc = dataclasses.replace(sc, admin_desa=desa, facilities=fac)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return kc.run_plan(sc, kc.PlanConfig(lang="id", focus_area=focus))


@pytest.fixture(scope="module")
def tiny_report() -> tuple[dict, dict, str]:
    result = _tiny_plan()
    summary = json.loads(json.dumps(plan_summary(result), default=str))
    layers = {k: v for k, v in plan_layers(result).items() if isinstance(v, gpd.GeoDataFrame)}
    return summary, layers, render_report(summary, title="Masamba", lang="id", layers=layers)


def test_first_page_has_focus_and_study_area_figures_labelled(tiny_report) -> None:
    summary, _, html = tiny_report
    first = html[html.index('id="section-key_figures"'):html.index('id="section-hazard"')]
    assert "Wilayah fokus: Desa Bone" in first and "Seluruh wilayah studi" in first
    focus = first[first.index('id="cards-focus"'):first.index('id="cards-study_area"')]
    study = first[first.index('id="cards-study_area"'):]
    kf = summary["key_figures"]
    # 900 people in the flooded desa Bone, of 2,000 in the study area: the same 900 affected
    assert kf["people_affected"] == 900 and kf["study_area"]["people_affected"] == 900
    assert '<span class="value">900</span><span class="label">penduduk terdampak' in focus
    assert '<span class="value">900</span><span class="label">penduduk terdampak' in study
    assert kf["covers"]["people_affected"] == "focus_area"
    assert kf["covers"]["hazard_area_km2"] == "study_area"


def test_document_has_figures_few_tables_and_no_raw_keys(tiny_report) -> None:
    _, _, html = tiny_report
    ids = re.findall(r'<section id="section-([a-z_]+)"', html)
    assert ids[:3] == ["key_figures", "hazard", "impact"]
    assert {"assumptions", "validation", "provenance"} <= set(ids)
    figs = re.findall(r'<figure id="fig-([a-z_]+)"><img src="data:image/png;base64,', html)
    assert {"hazard_map", "affected_map", "class_chart"} <= set(figs)
    assert html.count("<table") <= 15
    text = re.sub(r'src="data:[^"]+"', "", html)
    for raw in ("rice_kg", "use_caution", "csi/pod/far", "Timings", "timings_s", "n_in",
                "analysis_summary", "None"):
        assert raw not in text, raw
    # whole persons only: every cell under a people column is a whole number
    people_cells = []
    for table in re.findall(r"<table class=\"data\">(.*?)</table>", text, flags=re.S):
        heads = re.findall(r"<th scope=\"col\"[^>]*>(.*?)</th>", table)
        for row in re.findall(r"<tr>(.*?)</tr>", table, flags=re.S)[1:]:
            cells = re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S)
            people_cells += [c for h, c in zip(heads, cells, strict=True)
                             if re.search(r"Penduduk|Mengungsi|Orang", h)]
    assert people_cells and all(re.fullmatch(r"\d[\d.]*|–", c) for c in people_cells), people_cells
    cards = re.findall(r'<span class="value">([^<]*)</span><span class="label">penduduk', text)
    assert cards and all(re.fullmatch(r"\d[\d.]*", c) for c in cards)


def test_assumptions_explain_affected_displacement_and_reconstruction(tiny_report) -> None:
    _, _, html = tiny_report
    sec = html[html.index('id="section-assumptions"'):html.index('id="section-validation"')]
    assert "Terdampak berarti berada di dalam zona bahaya" in sec
    assert "14.483" in sec and "Juli 2020" in sec and "Tinggi 5 %" in sec


def test_english_option_and_quality_in_words() -> None:
    result = _tiny_plan(None)
    summary = json.loads(json.dumps(plan_summary(result), default=str))
    html = render_report(summary, title="t", lang="en")
    assert "The whole study area" in html and "Wilayah fokus" not in html
    assert '<html lang="en">' in html and "Flood hazard" in html
    assert quality_in_words(0.0042, "gap_limit", "id") == \
        "paling banyak 0,4 % di bawah yang terbaik yang mungkin"
    assert quality_in_words(float("nan"), None, "en") == "quality of the solution unknown"


def test_provenance_paths_are_relative_to_the_manifest() -> None:
    from kotacerdas_gis.outputs.report_content import _rel

    assert _rel("/data/run/boundaries/desa.geojson", "/data/run") == "boundaries/desa.geojson"
    assert _rel("boundaries/desa.geojson", None) == "boundaries/desa.geojson"
    assert _rel("/home/someone/secret/desa.geojson", None) == "desa.geojson"
    summary = {"key_figures": {"area": {"level": "study_area"}},
               "scenario": {"provenance": {"admin_desa": {
                   "source": "BIG", "path": "/data/run/boundaries/desa.geojson"}}}}
    html = render_report(summary, title="t", lang="en", manifest_dir="/data/run")
    assert "boundaries/desa.geojson" in html and "/data/run" not in html


def test_names_with_markup_stay_text_in_the_report() -> None:
    result = _tiny_plan(names=(XSS, "Kappuna"), focus=None)
    summary = json.loads(json.dumps(plan_summary(result), default=str))
    layers = {k: v for k, v in plan_layers(result).items() if isinstance(v, gpd.GeoDataFrame)}
    html = render_report(summary, title=XSS2, lang="id", layers=layers)
    assert XSS not in html and XSS2 not in html and "<script" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    parser = _Collector()
    parser.feed(html)
    assert all(u.startswith(("data:image/png;base64,", "#section-")) for u in parser.urls)


def test_unknown_sections_of_a_plan_summary_still_appear(tiny_report) -> None:
    summary, _, _ = tiny_report
    html = render_report({**summary, "weather_station_plan": {"n_sites": 3}}, title="t",
                         lang="en")
    assert '<section id="section-weather_station_plan">' in html
    assert "Weather station plan" in html


@pytest.mark.parametrize("name", ["$\\undefinedmacro$", "Rp $5$ juta", "</script><script>"])
def test_figure_labels_are_text_not_mathtext(name: str) -> None:
    from kotacerdas_gis.outputs.figures import access_chart, bar_chart

    fig = bar_chart([(name, 10.0)], title=name, xlabel="orang", lang="id", alt=name)
    assert fig.png()[:8] == b"\x89PNG\r\n\x1a\n"
    assert access_chart([{"name": name, "before": 5.0, "after": None}], "en", "c") is not None
