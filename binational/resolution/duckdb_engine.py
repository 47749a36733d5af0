"""The DuckDB engine (default): Splink on an in-process DuckDB database."""

from __future__ import annotations

from typing import Any

from binational.resolution.engine import Linked, Progress
from binational.resolution.features import arrow_table
from binational.resolution.splink_model import Model
from binational.resolution.training import train_and_predict


class DuckDBEngine:
    """Splink with DuckDB, in memory, limited to `threads` threads."""

    name = "duckdb"

    def __init__(self, threads: int | None = None, memory_limit: str | None = None) -> None:
        self.threads = threads
        self.memory_limit = memory_limit

    def link(self, rows: list[dict[str, Any]], model: Model, *, progress: Progress | None = None,
             train: bool = True) -> Linked:
        import duckdb
        from splink import DuckDBAPI

        con = duckdb.connect()
        if self.threads:
            con.execute(f"SET threads = {int(self.threads)}")
        if self.memory_limit:
            con.execute(f"SET memory_limit = '{self.memory_limit}'")
        db_api = DuckDBAPI(connection=con)
        table = db_api.register(arrow_table(rows))
        try:
            return train_and_predict(db_api, table, model, model.fresh_settings(),
                                     {r["unique_id"]: r["source_dataset"] for r in rows}, progress=progress,
                                     train=train)
        finally:
            con.close()


def create(**options: Any) -> DuckDBEngine:
    """The DuckDB engine."""
    return DuckDBEngine(**options)
