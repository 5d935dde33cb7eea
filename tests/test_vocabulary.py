"""One owner per class list: the vocabulary; and a custom class set's colours reach every output."""

from __future__ import annotations

import re
import sqlite3
import warnings
from pathlib import Path

import pytest

import kotacerdas_gis as kc
from kotacerdas_gis import schemas, vocabulary
from kotacerdas_gis.hazard.classes import PETABENCANA, custom_class_set
from kotacerdas_gis.network import DEFAULT_SPEEDS_KMH
from kotacerdas_gis.outputs import styles
from kotacerdas_gis.testing import tiny_flood, tiny_scenario


def test_every_class_list_derives_from_the_vocabulary() -> None:
    assert schemas.BUILDING_EXPOSURE_CLASSES == vocabulary.BUILDING_CLASSES.values
    assert schemas.ROAD_CLASSES == vocabulary.ROAD_CLASSES.values
    assert tuple(DEFAULT_SPEEDS_KMH) == vocabulary.ROAD_CLASSES.values
    assert tuple(c.key for c in styles.EXPOSURE_CLASSES) == vocabulary.BUILDING_CLASSES.keys
    assert tuple(c.key for c in styles.ROAD_CLASSES) == vocabulary.ROAD_CLASSES.keys
    # the hazard palette is the PetaBencana class set's own colours
    for c in PETABENCANA.classes:
        assert styles.layer_style("hazard_zones").class_style(c.key).colour == c.colour


def test_one_spelling_per_class() -> None:
    out, unknown = vocabulary.canonical_classes(
        ["place_of_worship", "Place of Worship", "place-of-worship", "gereja"],
        vocabulary.BUILDING_CLASSES)
    assert out == ["place of worship"] * 3 + ["other"] and unknown == 1
    assert styles.normalise_key("place of worship") == vocabulary.class_key("place_of_worship")


def _custom() -> kc.ClassSet:
    # two classes with colours no default palette has: blue below 1 m, magenta from 1 m
    return custom_class_set([0.0, 1.0, float("inf")], keys=["shallow", "deep"],
                            colours=["#0000FF", "#FF00FF"], displacement_rates=[0.0, 0.5])


def test_zones_carry_their_class_colours() -> None:
    zones = kc.observed_zones(tiny_flood(depth_min_m=1.5, depth_max_m=2.0),
                              class_set=_custom()).zones
    assert zones["colour"].tolist() == ["#FF00FF"]


@pytest.fixture(scope="module")
def custom_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("custom")
    sc = tiny_scenario(flood=tiny_flood(depth_min_m=1.5, depth_max_m=2.0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = kc.run_plan(sc, kc.PlanConfig(class_set=_custom(), lang="en"))
    kc.write_outputs(result, out)
    return out


def test_custom_colours_reach_the_web_map(custom_out: Path) -> None:
    html = (custom_out / "map.html").read_text(encoding="utf-8").upper()
    assert "#FF00FF" in html
    # the default palette's red for the highest class is not used for "deep"
    assert "#F03B20" not in html


def test_custom_colours_reach_the_qgis_styles(custom_out: Path) -> None:
    with sqlite3.connect(custom_out / "plan.gpkg") as con:
        rows = dict(con.execute("select f_table_name, styleQML from layer_styles").fetchall())
    for layer in ("hazard_zones", "impact_buildings"):
        qml = rows[layer]
        assert re.search(r"255,0,255", qml), f"{layer}: magenta not in its QGIS style"
        assert "240,59,32" not in qml, f"{layer}: default red in its QGIS style"


def test_custom_colours_reach_the_report(custom_out: Path) -> None:
    html = (custom_out / "report.html").read_text(encoding="utf-8").upper()
    assert "#FF00FF" in html
