"""The Spark engine: Splink on PySpark (local mode by default, or the session you give it).

The shipped models are written in DuckDB's SQL; their conditions and blocking rules are
transpiled to Spark SQL with sqlglot (a Splink dependency). PySpark is the optional extra `spark`.
"""

from __future__ import annotations

import copy
import tempfile
from typing import Any

from binational.errors import InvalidInput
from binational.resolution.engine import Linked, Progress
from binational.resolution.model import Model
from binational.resolution.training import train_and_predict

LIST_COLUMNS = {"givens", "surname_keys", "documents", "phones", "addresses", "plates"}


def spark_sql(sql: str) -> str:
    """One DuckDB condition as Spark SQL."""
    import sqlglot

    return sqlglot.transpile(sql, read="duckdb", write="spark")[0]


def spark_settings(settings: dict[str, Any]) -> dict[str, Any]:
    """The model's settings with every SQL condition in Spark's dialect."""
    out = copy.deepcopy(settings)
    rules = out["blocking_rules_to_generate_predictions"]
    out["blocking_rules_to_generate_predictions"] = [spark_sql(r) for r in rules]
    for comparison in out["comparisons"]:
        for level in comparison["comparison_levels"]:
            if level["sql_condition"] != "ELSE":
                level["sql_condition"] = spark_sql(level["sql_condition"])
    return out


class SparkEngine:
    """Splink with Spark; a local session with `cores` cores unless a session is given."""

    name = "spark"

    def __init__(self, session: Any = None, cores: int = 2, memory: str = "4g") -> None:
        try:
            from pyspark.sql import SparkSession
            from splink.backends.spark import similarity_jar_location
        except ImportError:
            raise InvalidInput("the spark engine needs PySpark: pip install 'binational[spark]'",
                               details=[{"field": "engine"}]) from None
        self.spark = session or (
            SparkSession.builder.master(f"local[{cores}]").appName("binational-resolution")
            .config("spark.driver.memory", memory).config("spark.sql.shuffle.partitions", str(cores * 4))
            .config("spark.ui.enabled", "false").config("spark.sql.ansi.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false").config("spark.jars", similarity_jar_location())
            .getOrCreate()
        )
        self.spark.sparkContext.setLogLevel("ERROR")
        self.spark.sparkContext.setCheckpointDir(tempfile.mkdtemp(prefix="binational-spark-"))

    def link(self, rows: list[dict[str, Any]], model: Model, *, progress: Progress | None = None,
             train: bool = True) -> Linked:
        from pyspark.sql.types import ArrayType, StringType, StructField, StructType
        from splink import SparkAPI

        columns = sorted({key for row in rows for key in row})
        schema = StructType([StructField(c, ArrayType(StringType()) if c in LIST_COLUMNS else StringType())
                             for c in columns])
        frame = self.spark.createDataFrame([tuple(row.get(c) for c in columns) for row in rows], schema=schema)
        db_api = SparkAPI(spark_session=self.spark)
        table = db_api.register(frame)
        plan = Model(kind=model.kind, version=model.version, splink=model.splink, thresholds=model.thresholds,
                     training={**model.training,
                               "deterministic_rules": [spark_sql(r) for r in model.training["deterministic_rules"]],
                               "em_blocking_rules": [spark_sql(r) for r in model.training["em_blocking_rules"]]})
        return train_and_predict(db_api, table, plan, spark_settings(model.splink),
                                 {r["unique_id"]: r["source_dataset"] for r in rows}, progress=progress, train=train)


def create(**options: Any) -> SparkEngine:
    """The Spark engine."""
    return SparkEngine(**options)
