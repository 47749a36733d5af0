"""The one typed settings object: every field is documented and read from ``BINATIONAL_*``."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET = "local-development-secret-change-me"  # noqa: S105 - refused outside `local`


class Settings(BaseSettings):
    """Settings of one binational node; runs with no configuration at all on ./binational.db."""

    model_config = SettingsConfigDict(env_prefix="BINATIONAL_", extra="ignore")

    environment: Literal["local", "test", "production"] = Field(
        "local", description="Deployment kind; default secrets are refused outside `local` and `test`."
    )
    database_url: str = Field(
        "sqlite:///./binational.db",
        description="SQLAlchemy URL: SQLite by default, `postgresql+psycopg://user@host/db` for a deployment.",
    )
    db_app_role: str = Field(
        "binational_app",
        description="PostgreSQL role (no BYPASSRLS) that every transaction switches to, so row-level security applies.",
    )
    secret_key: str = Field(
        DEFAULT_SECRET, description="Key signing pagination cursors and web sessions; set a long random value."
    )
    audit_key_path: Path = Field(
        Path("./binational-audit.key"),
        description="Ed25519 private key (PEM) signing audit checkpoints; created by `binational init`.",
    )
    node_name: str = Field("binational.local", description="Origin line of signed audit checkpoints.")
    checkpoint_every: int = Field(1000, description="Keep a signed audit checkpoint row every N entries.", ge=1)
    audit_sequence_ms: int = Field(
        200,
        description="On PostgreSQL, while serving: requests queue their audit entries and a sequencer adds "
        "them to the log within N milliseconds (draining four times as often while entries come); 0 makes "
        "each request append its own under the log's lock.",
        ge=0,
    )
    max_body_bytes: int = Field(1_048_576, description="Largest accepted request body, in bytes.")
    page_size: int = Field(50, description="Default number of items in a page of a list.")
    max_page_size: int = Field(500, description="Largest `limit` a list accepts.")
    token_days: int = Field(90, description="Default lifetime of an API token, in days.")
    public_data: Path = Field(
        Path("../shared/data"), description="Folder of real public data used by tests and benchmarks."
    )

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> Settings:
        if self.environment == "production" and self.secret_key == DEFAULT_SECRET:
            raise ValueError("BINATIONAL_SECRET_KEY must be set outside the local environment")
        return self

    @property
    def is_postgres(self) -> bool:
        """Whether the database is PostgreSQL."""
        return self.database_url.startswith("postgresql")


@lru_cache
def get_settings() -> Settings:
    """The settings of this process, read once from the environment."""
    return Settings()
