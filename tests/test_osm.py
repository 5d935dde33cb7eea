"""OSM extracts read directly (GDAL's OSM driver): tags -> roads, buildings, facilities."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import geopandas as gpd
from shapely.geometry import box

from kotacerdas_gis.accounting import Ledger
from kotacerdas_gis.errors import DataError
from kotacerdas_gis.io.osm import read_osm

# a small town near Masamba (lon 120.33, lat -2.55), 0.001 deg = about 111 m
LON0, LAT0 = 120.330, -2.550


def _node(i: int, dx: float, dy: float, tags: dict[str, str] | None = None) -> str:
    t = "".join(f'<tag k="{k}" v="{v}"/>' for k, v in (tags or {}).items())
    return (f'<node id="{i}" version="1" lat="{LAT0 + dy:.7f}" lon="{LON0 + dx:.7f}">{t}</node>')


def _way(i: int, nodes: list[int], tags: dict[str, str]) -> str:
    nd = "".join(f'<nd ref="{n}"/>' for n in nodes)
    t = "".join(f'<tag k="{k}" v="{v}"/>' for k, v in tags.items())
    return f'<way id="{i}" version="1">{nd}{t}</way>'


def write_osm(path: Path) -> Path:
    """Write a small town as .osm XML.

    Two roads (one a bridge), a river, two buildings (one a school), a clinic point, a bench,
    and a road far outside the study area.
    """
    nodes = [
        _node(1, 0.000, 0.000), _node(2, 0.002, 0.000), _node(3, 0.004, 0.000),
        _node(4, 0.000, 0.001), _node(5, 0.004, 0.001),
        # building 1 (house), building 2 (school)
        _node(10, 0.0010, 0.0010), _node(11, 0.0011, 0.0010), _node(12, 0.0011, 0.0011),
        _node(13, 0.0010, 0.0011),
        _node(20, 0.0020, 0.0010), _node(21, 0.0022, 0.0010), _node(22, 0.0022, 0.0012),
        _node(23, 0.0020, 0.0012),
        _node(30, 0.003, 0.0005, {"healthcare": "clinic", "name": "Puskesmas Kappuna"}),
        _node(31, 0.0031, 0.0005, {"amenity": "bench"}),
        _node(40, 0.5, 0.5), _node(41, 0.51, 0.5),
    ]
    ways = [
        _way(100, [1, 2, 3], {"highway": "primary", "name": "Jl. Trans Sulawesi"}),
        _way(101, [4, 5], {"highway": "residential", "bridge": "yes"}),
        _way(102, [1, 4], {"waterway": "river", "name": "Masamba"}),
        _way(103, [10, 11, 12, 13, 10], {"building": "house"}),
        _way(104, [20, 21, 22, 23, 20], {"building": "yes", "amenity": "school",
                                         "name": "SD Negeri 1"}),
        _way(105, [40, 41], {"highway": "track"}),
    ]
    path.write_text('<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6" generator="t">'
                    + "".join(nodes) + "".join(ways) + "</osm>", encoding="utf-8")
    return path


def _area() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(geometry=[box(LON0 - 0.01, LAT0 - 0.01, LON0 + 0.01, LAT0 + 0.01)],
                            crs=4326)


def test_read_osm_xml_tags_mapped_and_counted(tmp_path: Path) -> None:
    led = Ledger()
    out = read_osm(write_osm(tmp_path / "town.osm"), to_crs=32751, area=_area(), ledger=led)
    roads, bld, fac = out["roads"], out["buildings"], out["facilities"]
    assert roads.crs.to_epsg() == 32751
    assert sorted(roads["highway"]) == ["primary", "residential"]  # the far track clipped
    bridge = roads.set_index("highway")["bridge"]
    assert bridge.isna().to_dict() == {"primary": True, "residential": False}
    assert bridge["residential"] == "yes"
    assert sorted(bld["building"]) == ["house", "yes"]
    assert set(fac["facility_type"]) == {"clinic", "school"}  # the bench is not a facility
    notes = led.steps[-1].notes
    assert "OSM tag highway: primary 1, residential 1" in notes
    assert "OSM tag bridge: yes 1" in notes and "OSM tag healthcare: clinic 1" in notes
    assert "OSM tag building: house 1, yes 1" in notes and "OSM tag amenity: school 1" in notes
    assert led.steps[-1].n_repaired == 0  # a tag mapping is not a repair
    rejected = {k: v for s in led.steps for k, v in s.reasons_rejected.items()}
    assert rejected["outside the study area (clipped)"] == 1
    assert rejected["OSM line without a highway tag (rivers, power lines ...)"] == 1
    assert rejected["OSM point without a facility amenity or healthcare tag"] == 1


def test_read_osm_into_scenario_classes(tmp_path: Path) -> None:
    from kotacerdas_gis.scenario import build_scenario

    out = read_osm(write_osm(tmp_path / "town.osm"), to_crs=32751, area=_area())
    sc = build_scenario(name="osm", **out)
    assert sc.roads.set_index("highway")["road_class"].to_dict() == {
        "primary": "primary", "residential": "local"}
    assert sc.roads["bridge"].tolist().count(True) == 1
    assert sorted(sc.buildings["exposure_class"]) == ["education", "residential"]
    assert sorted(sc.facilities["exposure_class"]) == ["education", "health"]


def test_read_osm_refuses_other_files(tmp_path: Path) -> None:
    p = tmp_path / "roads.geojson"
    p.write_text(json.dumps({"type": "FeatureCollection", "features": []}))
    with pytest.raises(DataError, match="expected an OSM extract"):
        read_osm(p, to_crs=32751)
    with pytest.raises(DataError, match="not found"):
        read_osm(tmp_path / "nope.osm.pbf", to_crs=32751)


def test_read_osm_nothing_in_area(tmp_path: Path) -> None:
    far = gpd.GeoDataFrame(geometry=[box(100, 0, 100.01, 0.01)], crs=4326)
    with pytest.raises(DataError, match="no road"):
        read_osm(write_osm(tmp_path / "town.osm"), to_crs=32751, area=far)


def test_read_osm_pbf_written_in_code(tmp_path: Path) -> None:
    """The same town as a .osm.pbf (pyosmium's SimpleWriter converts the XML)."""
    osmium = pytest.importorskip("osmium")
    xml = write_osm(tmp_path / "town.osm")
    pbf = tmp_path / "town.osm.pbf"
    writer = osmium.SimpleWriter(str(pbf))

    class Copy(osmium.SimpleHandler):  # type: ignore[misc]
        def node(self, n: object) -> None:
            writer.add_node(n)

        def way(self, w: object) -> None:
            writer.add_way(w)

    Copy().apply_file(str(xml))
    writer.close()
    led = Ledger()
    out = read_osm(pbf, to_crs=32751, area=_area(), ledger=led)
    assert sorted(out["roads"]["highway"]) == ["primary", "residential"]
    assert sorted(out["buildings"]["building"]) == ["house", "yes"]
    assert set(out["facilities"]["facility_type"]) == {"clinic", "school"}
    # the residential road is 0.004 deg of longitude at 2.55 S: about 444.6 m in UTM 51S
    res = out["roads"].set_index("highway").geometry["residential"]
    assert res.length == pytest.approx(0.004 * 111_320 * 0.99901, rel=2e-3)
