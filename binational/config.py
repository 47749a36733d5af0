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


#: the secret every node shipped with before there was none built in: public, so no secret at all
FORMER_BUILT_IN_SECRET = "local-development-secret-change-me"  # noqa: S105 - refused, never used


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
        description="PostgreSQL role (no BYPASSRLS) the node's sessions log in as, so row-level security applies; "
        "`binational init` creates it with LOGIN.",
    )
    database_app_url: str = Field(
        "",
        description="SQLAlchemy URL the node's sessions log in with on PostgreSQL (as `db_app_role`, which must not "
        "own the database nor hold any other role). Empty: `database_url` with `db_app_role` as user and no "
        "password (trust or peer authentication); set it for password authentication.",
        repr=False,
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
    max_values_per_property: int = Field(
        1000, description="Most values one property of one entity may receive in one write (API or import line).",
        ge=1,
    )
    import_max_bytes: int = Field(
        33_554_432, description="Largest import file sent through the API or a page, in bytes (the command line "
        "reads files of any size).", ge=1,
    )
    repatriation_import_inline_bytes: int = Field(
        65_536, description="Largest official-series file (repatriation imports) the API or the page imports within "
        "the request; a larger one is imported in the background, its progress followed on its run.", ge=0,
    )
    import_max_line_bytes: int = Field(
        1_048_576, description="Longest line of an import file, in bytes; a longer line is refused by number.", ge=1
    )
    resolution_run_stale_seconds: int = Field(
        60, description="A running resolution run whose worker has not said it is alive for this many seconds died "
        "with its process (a restart, a crash): it is marked failed, and a new run may start.", ge=5,
    )
    resolution_bulk_accept_floor: float = Field(
        0.98, description="The lowest match probability a bulk acceptance of the review queue may take (set by the "
        "node's supervisors); a lower one is refused (422) and nothing is judged.", ge=0.5, le=1.0,
    )
    export_max_rows: int = Field(
        10_000, description="Most entities one export of a list or search may hold (CSV or FtM JSON lines, API and "
        "pages); a larger export is refused (422) and nothing is written.", ge=1,
    )
    page_size: int = Field(50, description="Default number of items in a page of a list.")
    public_url: str = Field(
        "http://127.0.0.1:8000", description="The address users reach the web pages at: links in notification mails."
    )
    smtp_host: str = Field(
        "", description="SMTP host that notification mails go through; empty (the default): no mail, notifications "
        "stay in the app. A mail says only what the in-app notification says, never a record's content.",
    )
    smtp_port: int = Field(587, description="Port of `smtp_host`.", ge=1, le=65535)
    smtp_from: str = Field("binational@localhost", description="Sender address of notification mails.")
    smtp_tls: Literal["starttls", "ssl", "none"] = Field(
        "starttls", description="How mail to `smtp_host` is encrypted: STARTTLS on a plain connection, a TLS "
        "connection from the start (`ssl`, port 465), or none (a relay on the same machine only).",
    )
    smtp_username: str = Field("", description="User name to log in to `smtp_host` with; empty: no login.")
    smtp_password: str = Field("", description="Password of `smtp_username`.", repr=False)
    smtp_timeout_s: float = Field(
        10, description="Seconds to wait for `smtp_host` before a mail is given up (logged; the in-app "
        "notification stays).", gt=0,
    )
    flows_webhook_url: str = Field(
        "", description="Address that alerts of public flows series are posted to (JSON) when `flows alerts` raises "
        "them; empty (the default): alerts stay in the app. Alerts of an agency's internal series are never posted.",
    )
    flows_yoy_threshold: float = Field(
        0.5, description="Year-over-year change (a share: 0.5 is 50 %) beyond which a month of a flows series raises "
        "an alert.", gt=0,
    )
    flows_forecast_max_series: int = Field(
        20, description="Most series one forecast request through the API may fit (each costs seconds of CPU); "
        "past it 422, naming the filters that narrow it. The command line has no cap.", ge=1,
    )
    audit_export_max_rows: int = Field(
        100_000, description="Most audit entries one export (CSV or JSON lines) may hold; a larger one is refused.",
        ge=1,
    )
    max_page_size: int = Field(500, description="Largest `limit` a list accepts.")
    request_budget_ms: int = Field(
        2500,
        description="Time budget of one HTTP request, in milliseconds: past it the request's statements are "
        "cancelled and it answers 503 `time_budget_exceeded` (the node answers by itself a quarter of a second "
        "later if the work has not stopped); 0 for no budget.",
        ge=0,
    )
    admin_request_budget_ms: int = Field(
        600_000,
        description="Time budget of a request by an agency administrator (node-wide jobs such as a resolution "
        "run), in milliseconds; 0 for no budget.",
        ge=0,
    )
    statement_timeout_ms: int = Field(
        2000,
        description="Longest one database statement of a request may run, in milliseconds (PostgreSQL "
        "`statement_timeout`, a progress handler on SQLite), within the request's budget; 0 for none.",
        ge=0,
    )
    user_requests_per_minute: int = Field(
        600,
        description="Requests one user may make per minute to one server process (a bucket that refills "
        "evenly); past it 429 `rate_limited` with `Retry-After`; 0 for no cap.",
        ge=0,
    )
    search_prefix_chars: int = Field(
        3,
        description="Search words shorter than this match whole words only, not every word they begin (nor, "
        "in the ranked search, words a typing error or two away), so that every search reads a narrow range of "
        "the search index.",
        ge=1,
    )
    token_days: int = Field(90, description="Default lifetime of an API token, in days.", ge=1)
    token_max_days: int = Field(
        90, description="Longest lifetime of an API token, in days; a longer one is refused (422).", ge=1
    )
    node_country: str = Field(
        "", description="ISO 3166-1 alpha-2 code of the node's country: node administrators register agencies "
        "of this country (and of `federation_countries`). Empty: only the node operator's command line does.",
        max_length=2,
    )
    federation_countries: list[str] = Field(
        default_factory=list, description="Other countries (ISO alpha-2, a JSON list) whose agencies node "
        "administrators may register on this node.",
    )
    discovery_user_per_minute: int = Field(
        2000, description="Most discovery selectors one user may search in any minute (429 past it).", ge=1
    )
    discovery_user_per_day: int = Field(
        10_000, description="Most discovery selectors one user may search in any 24 hours (429 past it).", ge=1
    )
    discovery_agency_per_day: int = Field(
        20_000, description="Most discovery selectors the users of one agency may search together in any 24 hours "
        "(429 past it).", ge=1,
    )
    discovery_name_words: int = Field(
        8, description="Most words in the name of a `name_birth` selector (a longer name is invalid input).", ge=2
    )
    discovery_sweep_selectors: int = Field(
        50, description="Selectors of one shape (one kind differing only in the last few characters, or one name "
        "with many birth dates) one user may search within `discovery_sweep_minutes` before the search is "
        "flagged as a sweep to the agencies whose records it touched.", ge=2,
    )
    discovery_sweep_minutes: int = Field(
        1440, description="Window, in minutes, over which the selectors of a sweep are counted.", ge=1
    )
    requests_per_user_hour: int = Field(
        30, description="Most requests one user may send to other agencies in any hour (429 past it).", ge=1
    )
    session_idle_minutes: int = Field(
        30, description="A web session not used for this many minutes ends (the user signs in again).", ge=1,
    )
    session_hours: int = Field(12, description="A web session ends this many hours after sign-in, used or not.", ge=1)
    login_window_minutes: int = Field(
        15, description="The login throttle counts the failed sign-ins of the last N minutes.", ge=1,
    )
    login_failures_per_account: int = Field(
        5, description="Failed sign-ins for one username within the window before its sign-ins are refused (429).",
        ge=1,
    )
    login_failures_per_address: int = Field(
        20, description="Failed sign-ins from one network address within the window before its sign-ins are "
        "refused (429).", ge=1,
    )
    network_max_nodes: int = Field(
        2000, ge=1,
        description="Most nodes a network answer may hold: an ego network stops expanding past it, a whole "
        "network larger than it is not built; both answer 422 (audited as a refused `network.view`).",
    )
    forwarded_allow_ips: str = Field(
        "", description="Addresses of the reverse proxies whose `X-Forwarded-For` names the client (comma-separated, "
        "as uvicorn's `--forwarded-allow-ips`); empty: the header is never trusted, and the address is the peer's.",
    )
    wait_times_url: str = Field(
        "", description="URL of the CBP Border Wait Times API (its `bwtnew` JSON) that `trade ports poll` reads on "
        "a schedule; empty (the default): no polling.",
    )
    wait_times_every: int = Field(
        900, ge=60, description="Seconds between two polls of `wait_times_url`.",
    )
    public_data: Path = Field(
        Path("../shared/data"), description="Folder of real public data used by tests and benchmarks."
    )
    repatriation_arrangements: Path | None = Field(
        None, description="YAML file of the local repatriation arrangements (points, hours by population, quotas, "
        "lead times, contacts); unset: the shipped defaults, marked as assumptions.",
    )
    repatriation_networks: Path | None = Field(
        None, description="YAML file of the sending agencies' land networks for convoys (garages, detention "
        "facilities, ports, travel minutes); unset: the shipped defaults, marked as assumptions.",
    )
    repatriation_convoy_seconds: float = Field(
        1.0, gt=0, le=30, description="Time limit of the routing solver for one land convoy, in seconds.",
    )
    federation_node_id: str = Field(
        "", description="This node's name among federated nodes, written like an origin (`us.binational/cbp`): "
        "lower-case dotted host name, then `/` and path segments. Empty: the node writes no anchor.",
        max_length=200,
    )
    federation_endpoint: str = Field(
        "", description="The https address partner nodes reach this node's federation endpoint at, as its anchor "
        "says (http only on a loopback address).",
    )
    federation_tls_cert_path: Path | None = Field(
        None, description="PEM certificate of `federation_endpoint`, written into the anchor so partners pin it; "
        "unset: the anchor carries none.",
    )
    federation_tls_key_path: Path | None = Field(
        None, description="PEM private key of `federation_tls_cert_path`: this node presents the pair to partners "
        "when it pushes to them (mutual TLS) and `serve --federation-tls` serves it.",
    )
    federation_release_clearance: str = Field(
        "TLP:AMBER", description="The clearance a bundle's recipient on a partner node is taken to hold: no value "
        "marked above it leaves the node.",
    )
    federation_digests_per_hour: int = Field(
        100_000, description="Step-1 digests one partner node may ask in an hour (a query past it is refused "
        "with 429 and audited).", ge=1,
    )
    federation_max_body_bytes: int = Field(
        64 * 1024 * 1024, description="Largest signed bundle or tombstone a partner node may push to "
        "`/federation/v1/items`, in bytes (other requests keep `max_body_bytes`); a bundle carries one whole "
        "entity.", ge=1,
    )
    federation_receipt_overdue_hours: int = Field(
        1, description="Hours after which a revocation (tombstone) a partner node has not acknowledged with "
        "its signed receipt is shown as overdue.", ge=1,
    )
    federation_refusals_per_minute: int = Field(
        20, description="Refusals of unauthenticated federation deliveries (not signed by a trusted partner's "
        "node key) audited one by one per minute and reason, in one serving process; past it they are counted "
        "and the next audited refusal names how many were left out.", ge=1,
    )
    federation_node_key_path: Path | None = Field(
        None, description="Ed25519 private key (PEM) signing this node's anchor and release bundles; unset: "
        "`binational-node.key` beside `audit_key_path`. Made by `binational init` (mode 0600).",
    )
    federation_witness_key_path: Path | None = Field(
        None, description="Ed25519 private key (PEM) this node cosigns partners' checkpoints with, apart from the "
        "node key; unset: `binational-witness.key` beside `audit_key_path`. Made by `binational init` (mode 0600).",
    )
    federation_witnesses: list[str] = Field(
        default_factory=list, description="Verifier keys (C2SP vkeys, type 0x04, a JSON list) of the independent "
        "witnesses that cosign this node's checkpoints, named in its anchor.",
    )
    federation_witness_urls: dict[str, str] = Field(
        default_factory=dict, description="Where each witness of `federation_witnesses` takes checkpoints (its "
        "C2SP tlog-witness submission prefix), by the witness's key name (a JSON object).",
    )
    federation_min_witnesses: int = Field(
        1, description="The fewest witnesses a partner's anchor must name: a bundle is accepted only with a proof "
        "against a checkpoint every witness the anchor names cosigned, and from a partner naming fewer, none. With "
        "`federation_trusted_witnesses`, the fewest of those that must have cosigned it as well.",
        ge=0, le=16,
    )
    federation_trusted_witnesses: list[str] = Field(
        default_factory=list, description="Verifier keys (C2SP vkeys, type 0x04, a JSON list) of the witnesses this "
        "node chooses to trust for partners' logs, whatever their anchors name: a bundle's checkpoint must also be "
        "cosigned by `federation_min_witnesses` of them (at least one). Empty: the anchor's witnesses only.",
    )
    federation_hosted_agencies: list[str] = Field(
        default_factory=list, description="Codes of the agencies this node hosts, named in its anchor (a JSON "
        "list); empty: every agency of `node_country` registered here (every agency if that is empty too).",
    )
    federation_anchor_days: int = Field(
        365, description="Days an anchor this node writes stays valid; partners refuse it after.", ge=1, le=3650,
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
        if self.secret_key == FORMER_BUILT_IN_SECRET:
            raise MissingSecret("the node secret is the former built-in one, which anyone can read: remove it and "
                                f"run `binational init` (it writes {self.secret_key_path})")
        return self.secret_key

    def subkey(self, purpose: str) -> bytes:
        """A key for one purpose (say `audit-queue`), derived from the node's secret by HMAC-SHA256."""
        return hmac.new(self.signing_secret().encode(), purpose.encode(), hashlib.sha256).digest()

    @property
    def node_key_path(self) -> Path:
        """Where the federation node key is: `federation_node_key_path`, or beside the audit key."""
        return self.federation_node_key_path or self.audit_key_path.with_name("binational-node.key")

    @property
    def witness_key_path(self) -> Path:
        """Where the federation witness key is: `federation_witness_key_path`, or beside the audit key."""
        return self.federation_witness_key_path or self.audit_key_path.with_name("binational-witness.key")

    @property
    def is_postgres(self) -> bool:
        """Whether the database is PostgreSQL."""
        return self.database_url.startswith("postgresql")


@lru_cache
def get_settings() -> Settings:
    """The settings of this process, read once from the environment."""
    return Settings()
