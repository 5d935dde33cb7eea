"""Tests of the offline web map and the shared palette (outputs.webmap, outputs.styles)."""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import folium
import geopandas as gpd
from shapely.geometry import LineString, MultiPolygon, Point, Polygon, box

from kotacerdas_gis.errors import CRSError, RepairWarning, SchemaError
from kotacerdas_gis.outputs import styles
from kotacerdas_gis.outputs.webmap import (
    OfflineAssetError,
    _encode_geometries,
    encode_polyline,
    web_map,
    write_web_map,
)

X0, Y0 = 203080.0, 9717839.0  # Masamba, EPSG:32751
CRS = "EPSG:32751"


def make_layers() -> dict[str, gpd.GeoDataFrame]:
    """Build layers near Masamba: 1 kecamatan, 4 zones, 2 roads, 30 buildings, 2 facilities."""
    zones = gpd.GeoDataFrame(
        {
            "zone_id": [1, 2, 3, 4],
            "hazard_class": ["high", "medium", "low", "use_caution"],
            "class_rank": [4, 3, 2, 1],
            "label_id": ["Tinggi", "Sedang", "Rendah", "Waspada"],
            "label_en": ["High", "Medium", "Low", "Use caution"],
            "depth_min_m": [1.5, 0.7, 0.1, 0.0],
            "depth_max_m": [4.0, 1.5, 0.7, 0.1],
        },
        geometry=[
            box(X0 - 1500 + i * 700, Y0 - 1000, X0 - 800 + i * 700, Y0 + 1000) for i in range(4)
        ],
        crs=CRS,
    )
    zones["area_m2"] = zones.area
    classes = ["residential", "health", "education", "place of worship"]
    geoms = [
        box(X0 - 1400 + i * 450, Y0 - 800 + j * 350, X0 - 1380 + i * 450, Y0 - 785 + j * 350)
        for i in range(6)
        for j in range(5)
    ]
    buildings = gpd.GeoDataFrame(
        {
            "asset_id": [f"B{i:03d}" for i in range(30)],
            "name": [None] * 30,
            "exposure_class": [classes[i % 4] for i in range(30)],
        },
        geometry=geoms,
        crs=CRS,
    )
    roads = gpd.GeoDataFrame(
        {
            "asset_id": ["R1", "R2"],
            "name": ["Jl. Poros Masamba", "Jl. Desa"],
            "road_class": ["primary", "local"],
            "highway": ["primary", "residential"],
            "bridge": [False, True],
        },
        geometry=[
            LineString([(X0 - 2000, Y0), (X0 + 2000, Y0 + 200)]),
            LineString([(X0, Y0 - 1500), (X0 + 100, Y0 + 1500)]),
        ],
        crs=CRS,
    )
    facilities = gpd.GeoDataFrame(
        {
            "asset_id": ["F1", "F2"],
            "name": ["RSUD Andi Djemma", "SDN 1 Masamba"],
            "facility_type": ["hospital", "school"],
            "exposure_class": ["health", "education"],
            "capacity_persons": [200.0, np.nan],
        },
        geometry=[Point(X0 + 300, Y0 + 300), Point(X0 - 600, Y0 - 200)],
        crs=CRS,
    )
    kecamatan = gpd.GeoDataFrame(
        {
            "admin_code": ["73.22.03"],
            "admin_name": ["Masamba"],
            "admin_level": ["kecamatan"],
            "parent_code": ["73.22"],
        },
        geometry=[box(X0 - 2500, Y0 - 2000, X0 + 2500, Y0 + 2000)],
        crs=CRS,
    )
    return {
        "admin_kecamatan": kecamatan,
        "hazard_zones": zones,
        "roads": roads,
        "buildings": buildings,
        "facilities": facilities,
    }


def decode_polyline(text: str, precision: int = 6) -> np.ndarray:
    """Decode as a reference would (plain Python, independent of the vectorised encoder)."""
    coords, index, lat, lon = [], 0, 0, 0
    while index < len(text):
        vals = []
        for _ in range(2):
            shift = result = 0
            while True:
                b = ord(text[index]) - 63
                index += 1
                result |= (b & 0x1F) << shift
                shift += 5
                if b < 0x20:
                    break
            vals.append(~(result >> 1) if result & 1 else result >> 1)
        lat += vals[0]
        lon += vals[1]
        coords.append((lat / 10**precision, lon / 10**precision))
    return np.array(coords).reshape(-1, 2)


def external_urls(html: str) -> set[str]:
    allowed = {"https://leafletjs.com", "http://www.w3.org/2000/svg"}
    return {u for u in re.findall(r"https?://[^\s\"'<>()\\]+", html) if u not in allowed}


# --------------------------------------------------------------------------- encoding


def test_polyline_matches_googles_documented_example() -> None:
    pts = np.array([[38.5, -120.2], [40.7, -120.95], [43.252, -126.453]])
    assert encode_polyline(pts, precision=5) == "_p~iF~ps|U_ulLnnqC_mqNvxq`@"
    assert np.allclose(decode_polyline(encode_polyline(pts, precision=5), 5), pts)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.floats(-90, 90), st.floats(-180, 180)), min_size=1, max_size=40),
    st.integers(1, 6),
)
def test_polyline_round_trip_within_half_a_unit(
    pts: list[tuple[float, float]], precision: int
) -> None:
    arr = np.array(pts)
    back = decode_polyline(encode_polyline(arr, precision=precision), precision)
    assert back.shape == arr.shape
    assert np.abs(back - arr).max() <= 0.5 / 10**precision + 1e-12


def test_encode_polyline_rejects_bad_precision() -> None:
    with pytest.raises(ValueError, match="1-6"):
        encode_polyline(np.zeros((1, 2)), precision=7)


def _decode_area_chunk(chunk: dict) -> list[list[np.ndarray]]:
    """Rebuild polygons (list of rings, closing point dropped) from an 'A' chunk."""
    pts = decode_polyline(chunk["c"])

    def at(x, j):
        return x if isinstance(x, int) else x[j]

    out, pi, ri, gi = [], 0, 0, 0
    for f in range(chunk["nf"]):
        feature = []
        for _ in range(at(chunk["g"], f)):
            rings = []
            for _ in range(at(chunk["r"], gi)):
                n = at(chunk["n"], ri)
                rings.append(pts[pi : pi + n])
                pi += n
                ri += 1
            gi += 1
            feature.append(rings)
        out.append(feature)
    assert pi == len(pts)
    return out


def test_polygon_payload_rebuilds_rings_holes_and_multipolygons() -> None:
    shell = [(120.0, -2.5), (120.01, -2.5), (120.01, -2.49), (120.0, -2.49)]
    hole = [(120.002, -2.498), (120.004, -2.498), (120.004, -2.496)]
    poly = Polygon(shell, [hole])
    multi = MultiPolygon([box(120.02, -2.5, 120.03, -2.49), box(120.04, -2.5, 120.05, -2.49)])
    chunk = _encode_geometries(np.array([poly, multi], dtype=object), "A", 6)
    feats = _decode_area_chunk(chunk)
    assert [len(f) for f in feats] == [1, 2]  # polygons per feature
    assert [len(p) for p in feats[0]] == [2]  # shell + hole
    np.testing.assert_allclose(
        feats[0][0][0][:, ::-1], np.array(poly.exterior.coords)[:-1], atol=5e-7
    )
    np.testing.assert_allclose(
        feats[0][0][1][:, ::-1], np.array(poly.interiors[0].coords)[:-1], atol=5e-7
    )
    np.testing.assert_allclose(
        feats[1][1][0][:, ::-1], np.array(multi.geoms[1].exterior.coords)[:-1], atol=5e-7
    )


# --------------------------------------------------------------------------- styles


def test_hazard_palette_is_petabencana() -> None:
    s = styles.layer_style("hazard_zones")
    assert [(c.key, c.colour) for c in s.classes] == [
        ("high", "#F03B20"),
        ("medium", "#FEB24C"),
        ("low", "#FFFFB2"),
        ("use_caution", "#A6D96A"),
        ("not_exposed", "#8C8C8C"),
        ("none", "#8C8C8C"),  # hazard.classes key of "not hazardous"
    ]


def test_resolve_classes_orders_by_palette_and_counts() -> None:
    data = pd.DataFrame({"exposure_class": ["other", "health", "residential", "health", None]})
    entries = styles.resolve_classes(styles.layer_style("buildings"), data, lang="en")
    assert [(e.value, e.label, e.count) for e in entries] == [
        ("residential", "Residential", 1),
        ("health", "Health", 2),
        ("other", "Other", 1),
        (None, "Unclassified", 1),
    ]


def test_resolve_classes_prefers_data_colours_and_labels_then_overrides() -> None:
    data = pd.DataFrame(
        {
            "hazard_class": ["wet", "dry"],
            "class_rank": [1, 0],
            "label_en": ["Wet", "Dry"],
            "colour": ["#123456", "#ABCDEF"],
        }
    )
    style = styles.layer_style("hazard_zones")
    entries = styles.resolve_classes(style, data, lang="en")
    assert [(e.value, e.label, e.colour) for e in entries] == [
        ("wet", "Wet", "#123456"),
        ("dry", "Dry", "#ABCDEF"),
    ]
    over = styles.resolve_classes(style, data, lang="en", class_colours={"dry": "#000000"})
    assert over[1].colour == "#000000"


def test_unknown_classes_get_a_ramp_by_rank() -> None:
    data = pd.DataFrame({"hazard_class": ["sedang", "tinggi"], "class_rank": [2, 3]})
    entries = styles.resolve_classes(styles.layer_style("hazard_zones"), data, lang="id")
    assert [e.value for e in entries] == ["tinggi", "sedang"]
    assert entries[0].colour == "#F03B20"


def test_check_lang_rejects_unknown_language() -> None:
    with pytest.raises(ValueError, match="'id', 'en'"):
        web_map(make_layers(), title="x", lang="fr")  # type: ignore[arg-type]


# --------------------------------------------------------------------------- web_map


def test_written_map_is_offline_and_has_layers_and_legend(tmp_path: Path) -> None:
    layers = make_layers()
    path = write_web_map(web_map(layers, title="Peta Masamba", lang="id"), tmp_path / "map.html")
    html = path.read_text(encoding="utf-8")
    assert external_urls(html) == set()
    assert "<script src=" not in html and '<link rel="stylesheet" href' not in html
    assert '<html lang="id">' in html and "<title>Peta Masamba</title>" in html
    for title in (
        "Batas kecamatan",
        "Zona bahaya banjir",
        "Jalan",
        "Bangunan",
        "Fasilitas penting",
    ):
        assert f'"{title}"' in html  # layer control entry
    legend = html[html.index('class="kc-legend"') :]
    for cls in styles.HAZARD_CLASSES[:4]:
        assert cls.colour in legend and cls.label_id in legend
    assert styles.layer_style("roads").class_style("primary").colour in legend
    assert "Pendidikan" in legend and "Kesehatan" in legend
    assert sorted(p.name for p in tmp_path.iterdir()) == ["map.html"]


def test_english_labels(tmp_path: Path) -> None:
    html = write_web_map(
        web_map(make_layers(), title="Masamba", lang="en"), tmp_path / "m.html"
    ).read_text(encoding="utf-8")
    assert '<html lang="en">' in html
    for text in ("Flood hazard zones", "Use caution", "Primary road", "Key facilities", "Legend"):
        assert text in html
    assert "Zona bahaya banjir" not in html


def test_input_layers_are_not_mutated() -> None:
    layers = make_layers()
    before = {k: v.copy() for k, v in layers.items()}
    web_map(layers, title="t")
    for k in layers:
        assert layers[k].crs == before[k].crs
        pd.testing.assert_frame_equal(pd.DataFrame(layers[k]), pd.DataFrame(before[k]))


def test_geographic_or_missing_crs_is_rejected() -> None:
    layers = make_layers()
    with pytest.raises(CRSError, match="buildings"):
        web_map({"buildings": layers["buildings"].to_crs(4326)}, title="t")
    with pytest.raises(CRSError, match="no CRS"):
        web_map({"roads": layers["roads"].set_crs(None, allow_override=True)}, title="t")


def test_payload_coordinates_are_the_layers_in_wgs84() -> None:
    layers = make_layers()
    m = web_map({"facilities": layers["facilities"]}, title="t")
    html = m.get_root().render()
    payload = json.loads(re.search(r"kcLayer\((\{.*?\})\);", html).group(1))
    chunk = payload["chunks"][0]
    got = decode_polyline(chunk["c"])
    want = layers["facilities"].to_crs(4326).get_coordinates().to_numpy()[:, ::-1]
    np.testing.assert_allclose(got, want, atol=5e-7)
    assert chunk["p"]["name"] == ["RSUD Andi Djemma", "SDN 1 Masamba"]
    assert chunk["p"]["capacity_persons"] == [200.0, None]
    assert "geometry" not in chunk["p"]


def test_popup_data_cannot_break_out_of_the_script(tmp_path: Path) -> None:
    fac = make_layers()["facilities"].copy()
    fac.loc[0, "name"] = "</script><script>alert(1)</script> https://evil.example/x.js"
    html = write_web_map(
        web_map({"facilities": fac}, title="<b>t</b>"), tmp_path / "m.html"
    ).read_text(encoding="utf-8")
    assert "<script>alert(1)" not in html
    assert "evil.example" in html and "https://evil.example" not in html
    assert "<title>&lt;b&gt;t&lt;/b&gt;</title>" in html


def test_plain_folium_map_with_cdn_assets_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "map.html"
    target.write_text("earlier", encoding="utf-8")
    with pytest.raises(OfflineAssetError, match="jquery"):
        write_web_map(folium.Map(tiles=None), target)
    assert target.read_text(encoding="utf-8") == "earlier"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["map.html"]


def test_branca_colormap_is_refused(tmp_path: Path) -> None:
    import branca.colormap as cm

    m = web_map(make_layers(), title="t")
    cm.LinearColormap(["#FFFFB2", "#F03B20"], vmin=0, vmax=4).add_to(m)
    with pytest.raises(OfflineAssetError, match="d3"):
        write_web_map(m, tmp_path / "m.html")
    assert not (tmp_path / "m.html").exists()


def test_osm_tiles_are_opt_in_and_off(tmp_path: Path) -> None:
    html = write_web_map(web_map(make_layers(), title="t"), tmp_path / "a.html").read_text("utf-8")
    assert "openstreetmap" not in html
    for kw in ({"osm_tiles": True}, {"online_basemaps": True}):
        m = web_map(make_layers(), title="t", **kw)
        html = write_web_map(m, tmp_path / "b.html").read_text(encoding="utf-8")
        # the templates travel JSON-escaped in the setup's payload, offered as base layers
        assert "tile.openstreetmap.org\\/{z}\\/{x}\\/{y}.png" in html
        assert "server.arcgisonline.com" in html
        assert external_urls(html) <= {"https://www.openstreetmap.org/copyright"}


def test_visible_controls_initial_overlays_and_rejects_unknown_names() -> None:
    layers = make_layers()
    html = web_map(layers, title="t", visible=["hazard_zones"]).get_root().render()
    assert html.count("display:none") == 4  # legend sections of the 4 hidden layers
    with pytest.raises(SchemaError, match="nope"):
        web_map(layers, title="t", visible=["nope"])


def test_layers_hidden_on_opening_have_one_owner() -> None:
    from kotacerdas_gis.outputs.qgis_project import HIDDEN
    from kotacerdas_gis.outputs.styles import LAYER_STYLES, hidden_layers
    from kotacerdas_gis.outputs.webmap import MAP_HIDDEN

    assert MAP_HIDDEN == hidden_layers("map") and HIDDEN == hidden_layers("project")
    assert set(MAP_HIDDEN) == {k for k, v in LAYER_STYLES.items() if "map" in v.hidden_in}
    # dense layers are off on both; the 2020 footprint only in the project (its fill would
    # mix the zones' colours there); the map's own choropleths only on the map
    assert {"buildings", "streams"} <= set(MAP_HIDDEN) & set(HIDDEN)
    assert "observed_flood_2020" in HIDDEN and "observed_flood_2020" not in MAP_HIDDEN
    assert "desa_affected" in MAP_HIDDEN and "desa_affected" not in HIDDEN
    assert "hazard_zones" not in set(MAP_HIDDEN) | set(HIDDEN)
    with pytest.raises(SchemaError, match="'map' or 'project'"):
        hidden_layers("report")


def test_popup_columns_override_and_check() -> None:
    layers = make_layers()
    html = (
        web_map({"roads": layers["roads"]}, title="t", popup_columns={"roads": ["asset_id"]})
        .get_root()
        .render()
    )
    payload = json.loads(re.search(r"kcLayer\((\{.*?\})\);", html).group(1))
    assert [f[0] for f in payload["fields"]] == ["asset_id"]
    with pytest.raises(SchemaError, match="road_name"):
        web_map({"roads": layers["roads"]}, title="t", popup_columns={"roads": ["road_name"]})


def test_unknown_layer_gets_neutral_style_and_first_columns() -> None:
    gdf = gpd.GeoDataFrame({"a": [1], "b": ["x"]}, geometry=[Point(X0, Y0)], crs=CRS)
    html = web_map({"my_layer": gdf}, title="t").get_root().render()
    payload = json.loads(re.search(r"kcLayer\((\{.*?\})\);", html).group(1))
    assert payload["title"] == "my_layer"
    assert payload["styles"][0]["fillColor"] == styles.DEFAULT_STYLE.colour
    assert [f[0] for f in payload["fields"]] == ["a", "b"]


def test_empty_layers_are_left_out_and_missing_geometries_warned() -> None:
    layers = make_layers()
    empty = layers["buildings"].iloc[:0]
    bld = layers["buildings"].copy()
    bld.loc[bld.index[:3], "geometry"] = None
    with pytest.warns(RepairWarning, match="3 of 30 features of buildings"):
        m = web_map({"buildings": bld, "impact_buildings": empty}, title="t")
    html = m.get_root().render()
    assert html.count("kcLayer({") == 1
    payload = json.loads(re.search(r"kcLayer\((\{.*?\})\);", html).group(1))
    assert payload["chunks"][0]["nf"] == 27


def test_mixed_geometry_layer_is_drawn_in_chunks() -> None:
    gdf = gpd.GeoDataFrame(
        {"name": ["a", "b"]}, geometry=[Point(X0, Y0), box(X0, Y0, X0 + 10, Y0 + 10)], crs=CRS
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        html = web_map({"assets": gdf}, title="t").get_root().render()
    payload = json.loads(re.search(r"kcLayer\((\{.*?\})\);", html).group(1))
    assert sorted(c["k"] for c in payload["chunks"]) == ["A", "P"]


def test_large_layers_use_canvas_and_stay_compact() -> None:
    rng = np.random.default_rng(0)
    n = 5000
    x = X0 + rng.uniform(-3000, 3000, n)
    y = Y0 + rng.uniform(-3000, 3000, n)
    w = rng.uniform(8, 20, n)
    geoms = [box(a, b, a + c, b + c * 0.8) for a, b, c in zip(x, y, w, strict=True)]
    cls = np.array([c.key for c in styles.EXPOSURE_CLASSES])[rng.integers(0, 11, n)]
    bld = gpd.GeoDataFrame(
        {
            "asset_id": [f"osm_w{100000 + i}" for i in range(n)],
            "name": [None] * n,
            "exposure_class": cls,
        },
        geometry=geoms,
        crs=CRS,
    )
    m = web_map({"buildings": bld}, title="t", canvas_threshold=1000)
    html = m.get_root().render()
    payload_text = re.search(r"kcLayer\((\{.*?\})\);", html).group(1)
    assert json.loads(payload_text)["canvas"] is True
    # the anchor target is <= 8.4 MB per 100k buildings: 84 bytes per building
    assert len(payload_text.encode()) / n < 84
    # and at least 4x smaller than the GeoJSON folium.GeoJson would embed
    assert len(payload_text.encode()) * 4 < len(bld.to_crs(4326).to_json().encode())


# --------------------------------------------------------------------------- issue 13


def _payloads(html: str) -> dict[str, dict]:
    """Return the kcLayer payloads of a rendered map, by layer name."""
    out = {}
    for m in re.finditer(r"= kcLayer\((\{.*?\})\);\n", html):
        spec = json.loads(m.group(1))
        out[spec["name"]] = spec
    return out


def desa_summary() -> gpd.GeoDataFrame:
    """Four desa with hand-set affected people and travel times (minutes, inf = unreachable)."""
    return gpd.GeoDataFrame(
        {
            "admin_code": ["D1", "D2", "D3", "D4"],
            "admin_name": ["Bone", "Kariango", "Lero", "Pombakka"],
            "total_affected": [0.0, 50.4, 600.0, 1499.6],
            "displaced": [0.0, 3.49, 20.0, 87.3],
            "travel_time_min_before": [5.0, 15.0, np.inf, 30.0],
            "travel_time_min_after": [5.0, np.inf, np.inf, 50.0],
            "isolated": [False, True, False, False],
            "status": ["ok", "cut by flood", "no road within 5000 m", "ok"],
        },
        geometry=[box(X0 + i * 1000, Y0, X0 + (i + 1) * 1000, Y0 + 1000) for i in range(4)],
        crs=CRS,
    )


def test_plan_map_layers_derives_choropleths_and_cut_off_desa() -> None:  # noqa: D103
    from kotacerdas_gis.outputs.webmap import plan_map_layers

    agg = desa_summary()
    before = agg.copy()
    out = plan_map_layers({"aggregation_summary": agg, "admin_kabupaten": agg})
    pd.testing.assert_frame_equal(agg, before)  # input untouched
    assert set(out) == {"desa_affected", "access_before", "access_after", "isolated_desa"}
    assert out["desa_affected"]["affected_class"].tolist() == ["ge_0", "ge_1", "ge_500", "ge_1000"]
    assert out["desa_affected"]["total_affected"].tolist() == [0, 50, 600, 1500]  # whole people
    assert out["access_before"]["access_class_before"].tolist() == [
        "ge_0", "ge_10", "no_road", "ge_20"]
    assert out["access_after"]["access_class_after"].tolist() == ["ge_0", "cut", "no_road", "ge_40"]
    iso = out["isolated_desa"]
    assert iso["admin_name"].tolist() == ["Kariango"] and iso["reason"].tolist() == ["cut by flood"]
    html = web_map(out, title="t", lang="id").get_root().render()
    p = _payloads(html)
    # the cut-off desa: drawn as its outline, with the reason and both times in Bahasa Indonesia
    iso_p = p["isolated_desa"]
    assert iso_p["chunks"][0]["k"] == "L"
    fields = {f[0]: f[1] for f in iso_p["fields"]}
    assert fields["reason"] == "Alasan"
    assert fields["travel_time_min_before"].startswith("Waktu ke faskes sebelum")
    reason = iso_p["chunks"][0]["p"]["reason"]
    assert "Terputus oleh banjir" in json.dumps(reason, ensure_ascii=False)
    # classed legend of the affected people, one entry per class present
    assert "1.000 orang atau lebih" in html and "1 - 99 orang" in html
    assert "100 - 499 orang" not in html


def test_popup_values_and_labels_are_in_the_language() -> None:
    layers = make_layers()
    b = layers.pop("buildings")
    b["exposure_class"] = "commercial"
    b["hazard_class"] = "high"
    b["flooded_frac"] = 0.5
    b["affected"] = True
    layers["impact_buildings"] = b
    for lang, commercial in (("id", "Perdagangan"), ("en", "Commercial")):
        p = _payloads(web_map(layers, title="t", lang=lang).get_root().render())
        fields = {f[0]: (f[1], f[2]) for f in p["impact_buildings"]["fields"]}
        assert fields["affected"][1] == "b" and fields["flooded_frac"][1] == "p"
        share = "Bagian tergenang" if lang == "id" else "Share flooded"
        assert fields["flooded_frac"][0] == share
        props = p["impact_buildings"]["chunks"][0]["p"]
        assert props["exposure_class"]["d"] == [commercial]
        for spec in p.values():
            for col, label, _ in spec["fields"]:
                assert label != col or col in ("name",), (spec["name"], col)  # no raw names
    assert styles.value_label("road_class", "primary") == "Jalan primer"
    zones = {f[0]: f[2] for f in p["hazard_zones"]["fields"]}
    assert zones["zone_id"] == "t" and zones["area_m2"] == "n"  # ids: no 1.234 separators


def test_zones_are_opaque_and_outline_layers_are_lines() -> None:
    """No translucent fill: a zone's pixel is its swatch whatever lies beneath or above."""
    for name in ("hazard_zones", "impact_buildings", "desa_affected", "access_after"):
        assert styles.layer_style(name).fill_opacity == 1.0, name
    assert styles.layer_style("observed_flood_2020").fill_opacity == 0.0
    layers = make_layers()
    layers["observed_flood_2020"] = gpd.GeoDataFrame(
        {"flood_id": ["OF1"], "material": ["water"]},
        geometry=[box(X0 - 1500, Y0 + 700, X0 + 1300, Y0 + 1000)], crs=CRS)
    p = _payloads(web_map(layers, title="t").get_root().render())
    assert p["observed_flood_2020"]["chunks"][0]["k"] == "L"
    assert p["admin_kecamatan"]["chunks"][0]["k"] == "L"
    assert p["hazard_zones"]["styles"][0]["fillOpacity"] == 1.0


def test_every_known_layer_has_a_group_and_areas_lie_under_points() -> None:
    for name, style in styles.LAYER_STYLES.items():
        assert style.group in styles.MAP_GROUPS and style.group != "lainnya", name
    z = {n: s.z for n, s in styles.LAYER_STYLES.items()}
    assert max(z[n] for n in ("hazard_zones", "desa_affected", "access_before")) < min(
        z[n] for n in ("roads", "rivers", "admin_desa", "observed_flood_2020"))
    assert z["impact_buildings"] > z["roads"]
    assert min(z[n] for n in ("facilities", "sensor_sites", "service_points",
                              "rebuild_priorities", "bridges")) > z["impact_buildings"]


def test_layer_control_lists_layers_by_group_in_order() -> None:
    layers = make_layers()
    html = web_map(layers, title="t", lang="en").get_root().render()
    setup = re.search(r"kcSetup\(map_\w+, .*\n", html).group(0)
    names = re.findall(r',"([^"]+)","(Boundaries|Hazard|Exposure|Access)"\]', setup)
    assert names == [("Place names", "Boundaries"), ("Sub-district boundaries", "Boundaries"),
                     ("Flood hazard zones", "Hazard"), ("Buildings", "Exposure"),
                     ("Key facilities", "Exposure"), ("Roads", "Access")]
    assert "imperial: false" in html and "control.scale()" not in html  # metric only


def test_hillshade_is_grey_transparent_outside_and_placed() -> None:
    import base64
    import io

    from affine import Affine
    from PIL import Image

    from kotacerdas_gis.errors import DataError
    from kotacerdas_gis.outputs.webmap import hillshade

    dem = np.zeros((50, 60))
    dem[:, :10] = np.nan  # no elevation in the western sixth
    tf = Affine(30.0, 0, X0, 0, -30.0, Y0)
    bg = hillshade(dem, tf, CRS)
    img = np.asarray(Image.open(io.BytesIO(base64.b64decode(bg.url.split(",", 1)[1]))))
    grey, alpha = img[..., 0], img[..., 1]
    # flat: sin(45 deg) = 0.707 -> 150 + 70.7 = 221 -> 64 levels -> 220
    assert set(np.unique(grey[alpha == 255])) == {220}
    assert (alpha[:, :3] == 0).all() and (alpha[:, -3:] == 255).all()
    ll = gpd.GeoSeries([Point(X0, Y0 - 1500), Point(X0 + 1800, Y0)], crs=CRS).to_crs(4326)
    (s, w), (n, e) = bg.bounds
    assert abs(s - ll.iloc[0].y) < 1e-4 and abs(w - ll.iloc[0].x) < 1e-4
    assert abs(n - ll.iloc[1].y) < 1e-4 and abs(e - ll.iloc[1].x) < 1e-4
    big = hillshade(np.random.default_rng(0).normal(size=(900, 700)) * 5, tf, CRS, max_px=300)
    w_, h_ = Image.open(io.BytesIO(base64.b64decode(big.url.split(",", 1)[1]))).size
    assert max(w_, h_) <= 300
    with pytest.raises(DataError, match="no cell with elevation"):
        hillshade(np.full((3, 3), np.nan), tf, CRS)
