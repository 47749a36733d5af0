"""The Spark engine: Splink on PySpark (local mode by default, or the session you give it).

The shipped models are written in DuckDB's SQL; their conditions and blocking rules are
transpiled to Spark SQL with sqlglot (a Splink dependency). PySpark is the optional extra `spark`
and needs a Java runtime (17 or later).

Splink sends Spark hundreds of small queries (u per comparison, every EM iteration), so on one
machine the cost is per query, not per row. The local session is set up for that: few shuffle
partitions, no UI, no code generation, and the rows handed over as one Arrow table. Intermediate tables are written to
parquet (Splink's default), which cuts their lineage: with `persist` every later query carries the
whole plan of the comparison vectors and Spark spends seconds analysing it, per EM iteration.
"""

from __future__ import annotations

import copy
import os
import shutil
import sys
import tempfile
from typing import Any

from binational.errors import InvalidInput
from binational.resolution.engine import Linked, Progress
from binational.resolution.features import arrow_table
from binational.resolution.splink_model import Model
from binational.resolution.training import train_and_predict


def spark_sql(sql: str) -> str:
    """One DuckDB condition as Spark SQL."""
    import sqlglot

    return sqlglot.transpile(sql, read="duckdb", write="spark")[0]


def spark_settings(settings: dict[str, Any]) -> dict[str, Any]:
    """The model's settings with every SQL condition in Spark's dialect."""
    out = copy.deepcopy(settings)
    out.pop("sql_dialect", None)  # trained settings saved by the DuckDB engine name their dialect
    out.pop("linker_uid", None)
    rules = out["blocking_rules_to_generate_predictions"]
    out["blocking_rules_to_generate_predictions"] = [
        spark_sql(r if isinstance(r, str) else r["blocking_rule"]) for r in rules]
    for comparison in out["comparisons"]:
        for level in comparison["comparison_levels"]:
            if level["sql_condition"] != "ELSE":
                level["sql_condition"] = spark_sql(level["sql_condition"])
    return out


def spark_plan(training: dict[str, Any]) -> dict[str, Any]:
    """The training plan with its deterministic and EM blocking rules in Spark's dialect."""
    return {**training,
            "deterministic_rules": [spark_sql(r) for r in training["deterministic_rules"]],
            "em_blocking_rules": [spark_sql(r) for r in training["em_blocking_rules"]]}


def local_session(cores: int, memory: str, partitions: int) -> Any:
    """A local Spark session tuned for many small queries on one machine."""
    from pyspark.sql import SparkSession
    from splink.backends.spark import similarity_jar_location

    # the Python that runs this process, not whatever `python3` is first on PATH
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    scratch = tempfile.mkdtemp(prefix="binational-spark-")
    session = (
        SparkSession.builder.master(f"local[{cores}]").appName("binational-resolution")
        .config("spark.driver.memory", memory)
        .config("spark.sql.shuffle.partitions", str(partitions))
        .config("spark.default.parallelism", str(partitions))
        .config("spark.sql.adaptive.enabled", "true")
        # Splink's comparison projections generate Java beyond the 64 KB method limit: code
        # generation compiles them for seconds per query only to fall back to interpreting
        # (measured: scoring the small world took half the JVM time without it)
        .config("spark.sql.codegen.wholeStage", "false")
        .config("spark.sql.codegen.factoryMode", "NO_CODEGEN")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.sql.ansi.enabled", "false")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.local.dir", scratch)
        .config("spark.jars", similarity_jar_location())
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    session.sparkContext.setCheckpointDir(os.path.join(scratch, "checkpoints"))
    return session


class SparkEngine:
    """Splink with Spark; a local session with `cores` cores unless a session is given."""

    name = "spark"

    def __init__(self, session: Any = None, cores: int = 2, memory: str = "2g", partitions: int | None = None,
                 break_lineage: str = "parquet") -> None:
        try:
            import pyspark  # noqa: F401
        except ImportError:
            raise InvalidInput("the spark engine needs PySpark: pip install 'binational[spark]'",
                               details=[{"field": "engine"}]) from None
        if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
            raise InvalidInput("the spark engine needs a Java runtime (17 or later) on PATH or in JAVA_HOME",
                               details=[{"field": "engine"}])
        self.partitions = partitions or max(2, cores * 2)
        self.break_lineage = break_lineage
        self.spark = session or local_session(cores, memory, self.partitions)

    def link(self, rows: list[dict[str, Any]], model: Model, *, progress: Progress | None = None,
             train: bool = True) -> Linked:
        from splink import SparkAPI

        db_api = SparkAPI(spark_session=self.spark, break_lineage_method=self.break_lineage,
                          num_partitions_on_repartition=self.partitions)
        table = db_api.register(self.spark.createDataFrame(arrow_table(rows)))
        plan = Model(kind=model.kind, version=model.version, splink=model.splink, thresholds=model.thresholds,
                     training=spark_plan(model.training))
        try:
            return train_and_predict(db_api, table, plan, spark_settings(model.splink),
                                     {r["unique_id"]: r["source_dataset"] for r in rows}, progress=progress,
                                     train=train)
        finally:
            self.spark.catalog.clearCache()

    def stop(self) -> None:
        """Stop the Spark session (the next local engine starts a new one)."""
        self.spark.stop()


def create(**options: Any) -> SparkEngine:
    """The Spark engine."""
    return SparkEngine(**options)
