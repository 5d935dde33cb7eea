"""read_vector and read_table on good and bad input.

Each bad input gets a clear error or a counted repair.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd
import pytest

import geopandas as gpd
from shapely.geometry import LineString, Point, Polygon, box

from kotacerdas_gis.accounting import Ledger
from kotacerdas_gis.errors import (
    CRSError,
    DataError,
    KotaCerdasError,
    RepairWarning,
    SchemaError,
)
from kotacerdas_gis.io.vector import iter_vector_chunks, list_layers, read_table, read_vector

X0, Y0 = 203_000.0, 9_717_800.0  # near Masamba town, EPSG:32751


def squares(n: int = 3) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"name": [f"b{i}" for i in range(n)]},
        geometry=[box(X0 + 30 * i, Y0, X0 + 30 * i + 10, Y0 + 10) for i in range(n)],
        crs=32751,
    )


def test_reads_gpkg_in_working_crs(tmp_path: Path) -> None:
    squares().to_file(tmp_path / "b.gpkg", layer="buildings")
    ledger = Ledger()
    gdf = read_vector(tmp_path / "b.gpkg", ledger=ledger)
    assert len(gdf) == 3
    assert gdf.crs.to_epsg() == 32751
    assert gdf.attrs["source"].endswith("b.gpkg")
    assert ledger.steps[0].n_in == 3 and ledger.steps[0].clean
    # 10 m squares: the geometry survives the round trip
    assert gdf.area.tolist() == pytest.approx([100.0] * 3)


def test_input_file_not_modified(tmp_path: Path) -> None:
    g = squares()
    g.loc[1, "geometry"] = Polygon([(X0, Y0), (X0 + 10, Y0 + 10), (X0 + 10, Y0), (X0, Y0 + 10)])
    g.to_file(tmp_path / "b.gpkg")
    before = (tmp_path / "b.gpkg").read_bytes()
    with pytest.warns(RepairWarning):
        read_vector(tmp_path / "b.gpkg", geometry_type="polygon")
    assert (tmp_path / "b.gpkg").read_bytes() == before


def test_missing_file_names_path(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="nope.gpkg: file not found"):
        read_vector(tmp_path / "nope.gpkg")


def test_corrupt_file(tmp_path: Path) -> None:
    bad = tmp_path / "broken.gpkg"
    bad.write_bytes(b"SQLite format 3\x00" + b"\x00garbage" * 50)
    with pytest.raises(DataError, match="broken.gpkg") as err:
        read_vector(bad)
    assert isinstance(err.value, KotaCerdasError)


def test_truncated_geojson(tmp_path: Path) -> None:
    f = tmp_path / "cut.geojson"
    f.write_text('{"type": "FeatureCollection", "features": [{"type": "Feature", "geom')
    with pytest.raises(DataError, match="cut.geojson"):
        read_vector(f)


def test_wrong_layer_lists_layers(tmp_path: Path) -> None:
    squares().to_file(tmp_path / "m.gpkg", layer="buildings")
    squares().to_file(tmp_path / "m.gpkg", layer="roads_tmp")
    assert list_layers(tmp_path / "m.gpkg") == ["buildings", "roads_tmp"]
    with pytest.raises(DataError, match=r"no layer named 'bangunan'.*buildings, roads_tmp"):
        read_vector(tmp_path / "m.gpkg", layer="bangunan")
    with pytest.raises(DataError, match="choose one with layer="):
        read_vector(tmp_path / "m.gpkg")
    assert len(read_vector(tmp_path / "m.gpkg", layer="roads_tmp")) == 3


def test_empty_layer(tmp_path: Path) -> None:
    squares().iloc[:0].to_file(tmp_path / "e.gpkg", layer="empty")
    with pytest.raises(DataError, match=r"e.gpkg.*empty \(0 features\)"):
        read_vector(tmp_path / "e.gpkg")


def test_no_crs_needs_assume_crs(tmp_path: Path) -> None:
    g = squares().set_crs(None, allow_override=True)
    g.to_file(tmp_path / "nocrs.shp")
    with pytest.raises(CRSError, match=r"nocrs.*declares no CRS.*assume_crs"):
        read_vector(tmp_path / "nocrs.shp")
    ledger = Ledger()
    got = read_vector(tmp_path / "nocrs.shp", assume_crs="EPSG:32751", ledger=ledger)
    assert got.crs.to_epsg() == 32751
    assert any("assumed EPSG:32751" in n for n in ledger.steps[0].notes)


def test_geographic_crs_error_and_reprojection(tmp_path: Path) -> None:
    g = gpd.GeoDataFrame({"name": ["Masamba"]}, geometry=[Point(120.33, -2.55)], crs=4326)
    g.to_file(tmp_path / "town.geojson")
    with pytest.raises(CRSError, match=r"town.geojson.*geographic EPSG:4326.*to_crs"):
        read_vector(tmp_path / "town.geojson")
    ledger = Ledger()
    got = read_vector(tmp_path / "town.geojson", to_crs="EPSG:32751", ledger=ledger)
    assert got.geometry.x.iloc[0] == pytest.approx(203_080.3, abs=0.5)
    assert got.geometry.y.iloc[0] == pytest.approx(9_717_838.5, abs=0.5)
    assert "reprojected from EPSG:4326" in ledger.steps[0].notes[0]
    # metric=False reads it as it is
    assert read_vector(tmp_path / "town.geojson", metric=False).crs.to_epsg() == 4326


def test_invalid_geometry_repaired_and_counted(tmp_path: Path) -> None:
    g = squares(4)
    # a bow-tie: invalid; make_valid splits it into two triangles of 25 m2 each
    g.loc[2, "geometry"] = Polygon([(X0, Y0), (X0 + 10, Y0 + 10), (X0 + 10, Y0), (X0, Y0 + 10)])
    g.to_file(tmp_path / "inv.gpkg")
    ledger = Ledger()
    with pytest.warns(RepairWarning, match="1 repaired"):
        got = read_vector(tmp_path / "inv.gpkg", geometry_type="polygon", ledger=ledger)
    step = ledger.steps[0]
    assert step.reasons_repaired == {"invalid geometry repaired (make_valid)": 1}
    assert step.n_rejected == 0 and len(got) == 4
    assert got.is_valid.all()
    assert got.area.iloc[2] == pytest.approx(50.0)
    with pytest.raises(DataError, match=r"1 invalid geometries .*Fix Geometries"):
        read_vector(tmp_path / "inv.gpkg", repair=False)


def test_repair_keeps_the_geometry_family_of_a_spiky_polygon(tmp_path: Path) -> None:
    # make_valid turns a polygon with a spike into polygon + line; the line part is dropped
    # from that feature (documented), so a polygon layer stays a polygon layer
    g = squares(3)
    g.loc[1, "geometry"] = Polygon([(X0, Y0), (X0 + 10, Y0), (X0 + 10, Y0 + 10), (X0 + 5, Y0 + 10),
                                    (X0 + 5, Y0 + 15), (X0 + 5, Y0 + 10), (X0, Y0 + 10)])
    g.to_file(tmp_path / "spike.gpkg")
    ledger = Ledger()
    with pytest.warns(RepairWarning, match="1 repaired"):
        got = read_vector(tmp_path / "spike.gpkg", ledger=ledger)
    assert got.geom_type.tolist() == ["Polygon"] * 3
    assert got.area.iloc[1] == pytest.approx(100.0)
    assert ledger.steps[0].reasons_repaired == {"invalid geometry repaired (make_valid)": 1}


def test_null_and_empty_geometries_rejected_and_counted(tmp_path: Path) -> None:
    g = squares(5)
    g.loc[1, "geometry"] = None
    g.loc[3, "geometry"] = Polygon()
    g.to_file(tmp_path / "null.gpkg")
    ledger = Ledger()
    with pytest.warns(RepairWarning, match="2 rejected"):
        got = read_vector(tmp_path / "null.gpkg", ledger=ledger)
    assert ledger.steps[0].reasons_rejected == {"null or empty geometry": 2}
    assert got["name"].tolist() == ["b0", "b2", "b4"]
    assert ledger.steps[0].n_in == 5 and ledger.steps[0].n_out == 3


def test_mixed_geometry_types(tmp_path: Path) -> None:
    g = gpd.GeoDataFrame(
        {"name": ["a", "b", "c"]},
        geometry=[box(X0, Y0, X0 + 10, Y0 + 10), Point(X0, Y0),
                  LineString([(X0, Y0), (X0 + 5, Y0)])],
        crs=32751,
    )
    g.to_file(tmp_path / "mixed.geojson")
    with pytest.raises(DataError, match=r"mixes geometry types.*geometry_type="):
        read_vector(tmp_path / "mixed.geojson")
    ledger = Ledger()
    with pytest.warns(RepairWarning):
        got = read_vector(tmp_path / "mixed.geojson", geometry_type="polygon", ledger=ledger)
    assert got["name"].tolist() == ["a"]
    assert ledger.steps[0].reasons_rejected == {"geometry of another type than polygon": 2}


def _latin1_shapefile(folder: Path, encoding: str) -> Path:
    g = gpd.GeoDataFrame(
        {"nama": ["Pasar Sentral", "Kantor Désa Bône"]},
        geometry=[Point(X0, Y0), Point(X0 + 5, Y0)],
        crs=32751,
    )
    path = folder / f"fac_{encoding}.shp"
    g.to_file(path, encoding=encoding, engine="pyogrio")
    path.with_suffix(".cpg").unlink()  # as shapefiles from old tools arrive: no .cpg ...
    dbf = bytearray(path.with_suffix(".dbf").read_bytes())
    dbf[29] = 0  # ... and no language driver id in the .dbf header either
    path.with_suffix(".dbf").write_bytes(bytes(dbf))
    return path


def test_latin1_shapefile_without_cpg(tmp_path: Path) -> None:
    path = _latin1_shapefile(tmp_path, "latin1")
    ledger = Ledger()
    got = read_vector(path, ledger=ledger)
    assert got["nama"].tolist() == ["Pasar Sentral", "Kantor Désa Bône"]
    assert any("ISO-8859-1" in n for n in ledger.steps[0].notes)


def test_utf8_shapefile_without_cpg_is_detected(tmp_path: Path) -> None:
    path = _latin1_shapefile(tmp_path, "utf-8")
    ledger = Ledger()
    got = read_vector(path, ledger=ledger)
    assert got["nama"].tolist() == ["Pasar Sentral", "Kantor Désa Bône"]
    assert any("UTF-8" in n for n in ledger.steps[0].notes)


def test_missing_requested_column(tmp_path: Path) -> None:
    squares().to_file(tmp_path / "b.gpkg")
    with pytest.raises(SchemaError, match=r"no column\(s\) building.*Columns present: name"):
        read_vector(tmp_path / "b.gpkg", columns=["building"])


def test_clean_read_issues_no_warning(tmp_path: Path) -> None:
    squares().to_file(tmp_path / "b.gpkg")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        read_vector(tmp_path / "b.gpkg")


def test_read_table(tmp_path: Path) -> None:
    f = tmp_path / "pop.csv"
    f.write_text("admin_code,population\n73.22.03.2001,1200\n73.22.03.2002,800\n")
    df = read_table(f, dtype={"admin_code": str}, required=["admin_code", "population"])
    assert df["population"].sum() == 2000
    with pytest.raises(SchemaError, match="missing column.*female.*Columns present: admin_code"):
        read_table(f, required=["female"])
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(DataError, match="empty"):
        read_table(tmp_path / "empty.csv")
    (tmp_path / "latin.csv").write_bytes("admin_code,nama\n1,Désa\n".encode("latin-1"))
    assert read_table(tmp_path / "latin.csv")["nama"].iloc[0] == "Désa"
    assert isinstance(df, pd.DataFrame)


def test_iter_vector_chunks_equals_read_vector_and_counts(tmp_path: Path) -> None:
    g = squares(7)
    g.loc[3, "geometry"] = None
    g.loc[5, "geometry"] = Polygon([(X0, Y0), (X0 + 10, Y0 + 10), (X0 + 10, Y0), (X0, Y0 + 10)])
    g.to_file(tmp_path / "b.gpkg")
    ledger = Ledger()
    with pytest.warns(RepairWarning, match="1 repaired.*1 rejected"):
        chunks = list(iter_vector_chunks(tmp_path / "b.gpkg", chunk_size=3, ledger=ledger))
    assert [len(c) for c in chunks] == [3, 2, 1]  # 7 in, 1 rejected, in chunks of 3 read
    streamed = pd.concat(chunks)
    assert streamed.index.tolist() == list(range(6))
    with pytest.warns(RepairWarning):
        whole = read_vector(tmp_path / "b.gpkg")
    assert streamed["name"].tolist() == whole["name"].tolist()
    assert streamed.geometry.area.tolist() == pytest.approx(whole.geometry.area.tolist())
    step = ledger.steps[0]
    assert (step.n_in, step.n_repaired, step.n_rejected) == (7, 1, 1)


def test_iter_vector_chunks_errors(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="file not found"):
        list(iter_vector_chunks(tmp_path / "none.gpkg"))
    g = gpd.GeoDataFrame(geometry=[Point(120.33, -2.55)], crs=4326)
    g.to_file(tmp_path / "geo.gpkg")
    with pytest.raises(CRSError, match="geographic"):
        list(iter_vector_chunks(tmp_path / "geo.gpkg"))
    got = pd.concat(iter_vector_chunks(tmp_path / "geo.gpkg", to_crs="EPSG:32751"))
    assert got.geometry.x.iloc[0] == pytest.approx(203_080.3, abs=0.5)
