"""Tests of hazard class sets: thresholds at their edges, validation, rates and colours."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from kotacerdas_gis.errors import SchemaError
from kotacerdas_gis.hazard.classes import (
    GENERIC,
    INARISK,
    NOT_HAZARDOUS,
    PETABENCANA,
    WET_DRY,
    ClassSet,
    HazardClass,
    custom_class_set,
    get_class_set,
    inarisk_class_set,
    petabencana_class_set,
)


@pytest.mark.parametrize(
    ("depth_m", "key", "rank"),
    [
        (0.0, "none", 0),  # dry
        (-0.5, "none", 0),
        (math.nan, "none", 0),
        (1e-9, "use_caution", 1),
        (0.1, "use_caution", 1),  # "use caution < 0.1 m" ends at 0.1 inclusive
        (0.1000001, "low", 2),
        (0.7, "low", 2),
        (0.7000001, "medium", 3),
        (1.5, "medium", 3),  # "high > 1.5 m"
        (1.5000001, "high", 4),
        (4.0, "high", 4),
    ],
)
def test_petabencana_edges(depth_m, key, rank):
    assert PETABENCANA.classify_keys([depth_m]).tolist() == [key]
    assert PETABENCANA.classify_ranks([depth_m]).tolist() == [rank]


def test_petabencana_rates_colours_labels():
    got = {c.key: (c.displacement_rate, c.colour, c.label_id, c.label_en) for c in PETABENCANA}
    assert got == {
        "high": (0.05, "#F03B20", "Tinggi", "High"),
        "medium": (0.03, "#FEB24C", "Sedang", "Medium"),
        "low": (0.01, "#FFFFB2", "Rendah", "Low"),
        "use_caution": (0.0, "#A6D96A", "Waspada", "Use caution"),
    }
    assert (NOT_HAZARDOUS.rank, NOT_HAZARDOUS.colour) == (0, "#8C8C8C")
    assert PETABENCANA.to_frame()["key"].tolist() == ["high", "medium", "low", "use_caution",
                                                      "none"]


@pytest.mark.parametrize(
    ("index", "key"),
    [(0.0, "low"), (0.33, "low"), (0.3300001, "medium"), (0.66, "medium"), (0.6600001, "high"),
     (1.0, "high"), (1.01, "none"), (-0.01, "none")],
)
def test_inarisk_edges(index, key):
    assert INARISK.classify_keys([index]).tolist() == [key]


def test_inarisk_thresholds_are_configurable():
    cs = inarisk_class_set(low_max=0.4, medium_max=0.7)
    assert cs.classify_keys([0.35, 0.69, 0.71]).tolist() == ["low", "medium", "high"]


def test_wet_dry_and_generic():
    assert WET_DRY.classify_keys([0.0, 0.01, 9.0]).tolist() == ["none", "wet", "wet"]
    assert WET_DRY["wet"].displacement_rate == 0.01
    assert GENERIC.classify_keys([1, 2, 3, 3.5]).tolist() == ["low", "medium", "high", "none"]


def test_custom_thresholds_and_configurable_petabencana():
    cs = petabencana_class_set(medium_max_m=2.0)
    assert cs.classify_keys([1.9, 2.1]).tolist() == ["medium", "high"]
    mud = custom_class_set([0, 1, 4, math.inf], keys=["shallow", "deep", "very_deep"],
                           name="mud", displacement_rates=[0.01, 0.2, 0.5])
    assert mud.classify_ranks([0.5, 1.0, 1.01, 10.0]).tolist() == [1, 1, 2, 3]
    assert mud["very_deep"].displacement_rate == 0.5


def test_series_in_series_out_on_the_same_index():
    s = pd.Series([0.05, 2.0, 0.0], index=[10, 20, 30])
    keys = PETABENCANA.classify_keys(s)
    ranks = PETABENCANA.classify_ranks(s)
    assert keys.name == "hazard_class" and ranks.name == "class_rank"
    assert keys.index.tolist() == [10, 20, 30] and keys.tolist() == ["use_caution", "high", "none"]
    assert ranks.tolist() == [1, 4, 0]


def _hc(key, rank, lo, hi, colour="#FFFFB2", rate=0.0):
    return HazardClass(key, rank, key, key, lo, hi, colour, rate)


@pytest.mark.parametrize(
    ("classes", "pattern"),
    [
        ([_hc("low", 1, 0, 1), _hc("high", 2, 1.5, 3)], r"'low'.*'high'.*gap between 1.0 and 1.5"),
        ([_hc("low", 1, 0, 2), _hc("high", 2, 1.5, 3)],
         r"'low'.*'high'.*overlap between 1.5 and 2"),
        ([_hc("a", 1, 0, 1), _hc("a", 2, 1, 2)], r"keys must be unique, \['a'\]"),
        ([_hc("a", 1, 0, 1), _hc("b", 1, 1, 2)], r"ranks must be unique"),
        ([_hc("a", 0, 0, 1)], r"'a' has rank 0"),
        ([_hc("a", 1, 1, 1)], r"'a' has min_value 1.0 and max_value 1.0"),
        ([_hc("a", 1, 0, 1, colour="red")], r"colour 'red'"),
        ([_hc("a", 1, 0, 1, rate=5)], r"displacement_rate 5.0.*0.05"),
        ([_hc("none", 1, 0, 1)], r"'none' is reserved"),
        ([], r"at least one class"),
    ],
)
def test_validation_names_the_offending_classes(classes, pattern):
    with pytest.raises(SchemaError, match=pattern):
        ClassSet("bad", tuple(classes))


def test_builder_validation():
    with pytest.raises(SchemaError, match=r"expected 3 class edges \(or the 1 inner"):
        custom_class_set([0, 1], keys=["a", "b"])
    with pytest.raises(SchemaError, match="thresholds must ascend"):
        custom_class_set([0, 2, 1], keys=["a", "b"])
    with pytest.raises(ValueError):  # SchemaError is a ValueError
        custom_class_set([0, 1, 2], keys=["a", "b"], colours=["#FFFFFF"])


def test_get_class_set_and_lookup_errors():
    assert get_class_set("petabencana") is PETABENCANA
    assert get_class_set(WET_DRY) is WET_DRY
    with pytest.raises(SchemaError, match="unknown class set 'x'.*petabencana_depth"):
        get_class_set("x")
    with pytest.raises(KeyError, match="no class 'extreme'"):
        PETABENCANA["extreme"]
    with pytest.raises(SchemaError, match=r"no class of rank \[7\]"):
        PETABENCANA.class_columns([7])
    cols = PETABENCANA.class_columns([4, 0])
    assert cols["hazard_class"].tolist() == ["high", "none"]
    assert np.isnan(cols["class_max"][0]) and cols["class_min"][0] == 1.5


@given(st.lists(st.floats(min_value=-5, max_value=50, allow_nan=False), min_size=2, max_size=30))
def test_rank_is_monotone_in_depth_and_matches_the_intervals(values):
    v = np.sort(np.array(values))
    r = PETABENCANA.classify_ranks(v)
    assert (np.diff(r) >= 0).all()
    for x, k in zip(v, PETABENCANA.classify_keys(v), strict=False):
        if x <= 0:
            assert k == "none"
        else:
            c = PETABENCANA[k]
            assert c.min_value < x <= c.max_value


def test_to_dict_is_json_ready():
    import json

    d = PETABENCANA.to_dict()
    json.dumps(d)
    assert d["classes"][-1]["max_value"] is None  # inf
