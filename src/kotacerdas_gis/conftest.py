"""Doctest conftest: the names every doctest uses, in one place (momepy's ``doctest_namespace``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from affine import Affine

import geopandas as gpd
import shapely
from shapely.geometry import LineString, Point, box


@pytest.fixture(autouse=True)
def _doctest_names(doctest_namespace: dict) -> None:
    import kotacerdas_gis as kc
    from kotacerdas_gis.testing import plane_dem, tiny_flood, tiny_scenario, valley_dem

    doctest_namespace.update(
        np=np, pd=pd, gpd=gpd, shapely=shapely, Affine=Affine, box=box, Point=Point,
        LineString=LineString, kc=kc, valley_dem=valley_dem, plane_dem=plane_dem,
        tiny_scenario=tiny_scenario, tiny_flood=tiny_flood,
    )
