"""The same forecasts on Spark (local mode, statsforecast's distributed backend) as on one machine.

Spark's start alone takes tens of seconds, so the test runs when BINATIONAL_SPARK_TESTS=1 (and Java
is present); the CLI's `--spark` uses the same path."""

from __future__ import annotations

import math
import os
import shutil
import sys

import pytest

from binational.flows import forecasting
from binational.flows.forecasting import month_index

pytestmark = pytest.mark.skipif(
    shutil.which("java") is None or os.environ.get("BINATIONAL_SPARK_TESTS") != "1",
    reason="Spark needs Java, and runs with BINATIONAL_SPARK_TESTS=1",
)


def test_spark_gives_the_local_forecasts():
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    from pyspark.sql import SparkSession

    data = {
        f"s{j}": {
            month_index("2015-01") + i: 500 + 100 * math.sin(2 * math.pi * i / 12) + (i * 37 % 11) + 10 * j
            for i in range(72)
        }
        for j in range(3)
    }
    local = forecasting.forecast(data, horizon=6)
    spark = (
        SparkSession.builder.master("local[2]")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .getOrCreate()
    )
    try:
        remote = forecasting.forecast(data, horizon=6, engine=spark)
    finally:
        spark.stop()
    assert [f.series_id for f in remote] == [f.series_id for f in local]
    for a, b in zip(local, remote, strict=True):
        assert a.model == b.model
        for key in ("mean", "lo80", "hi80", "lo95", "hi95"):
            assert getattr(a, key) == pytest.approx(getattr(b, key), rel=1e-6, abs=1e-3)
