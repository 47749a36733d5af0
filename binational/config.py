"""The one typed settings object: every field is documented and read from ``BINATIONAL_*``."""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class MissingSecret(ValueError):
    """The node has no secret: `binational init` makes one."""


class Settings(BaseSettings):
    """Settings of one binational node; runs with no configuration at all on ./binational.db."""

    model_config = SettingsConfigDict(env_prefix="BINATIONAL_", extra="ignore")

    environment: Literal["local", "test", "production"] = Field(
        "local", description="Deployment kind: `test` for the test suite, `production` for a deployment."
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
        "", description="The node's secret (signs cursors, web sessions and hit references; keys the audit "
        "queue's MACs). Empty: read from `secret_key_path`. There is no built-in one.", repr=False,
    )
    secret_key_path: Path = Field(
        Path("./binational-secret.key"),
        description="File holding the node's secret, made by `binational init` (mode 0600) beside the audit key.",
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
    network_max_nodes: int = Field(
        2000, ge=1,
        description="Most nodes a network answer may hold: an ego network stops expanding past it, a whole "
        "network larger than it is not built; both answer 422 (audited as a refused `network.view`).",
    )
    public_data: Path = Field(
        Path("../shared/data"), description="Folder of real public data used by tests and benchmarks."
    )

    @model_validator(mode="after")
    def _read_secret(self) -> Settings:
        if not self.secret_key and self.secret_key_path.is_file():
            self.secret_key = self.secret_key_path.read_text(encoding="ascii").strip()
        return self

    def signing_secret(self) -> str:
        """The node's secret; `MissingSecret` when there is none (never a built-in default)."""
        if len(self.secret_key) < 16:
            raise MissingSecret(f"no node secret: run `binational init` (it writes {self.secret_key_path}) "
                                "or set BINATIONAL_SECRET_KEY to at least 16 characters")
        return self.secret_key

    def subkey(self, purpose: str) -> bytes:
        """A key for one purpose (say `audit-queue`), derived from the node's secret by HMAC-SHA256."""
        return hmac.new(self.signing_secret().encode(), purpose.encode(), hashlib.sha256).digest()

    @property
    def is_postgres(self) -> bool:
        """Whether the database is PostgreSQL."""
        return self.database_url.startswith("postgresql")


@lru_cache
def get_settings() -> Settings:
    """The settings of this process, read once from the environment."""
    return Settings()
