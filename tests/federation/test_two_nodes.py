"""Two nodes as separate processes on loopback, each with its own database and keys: the US node's
`binational serve`, the MX node's `binational serve` for its users and `binational serve
--federation-tls` for partner nodes (mutual TLS, certificates pinned by the anchors). A US-CBP release
to MX-FGR is pushed by `binational federation push`, the MX analyst reads the locked copy, a client
without a pinned certificate cannot even connect, and a revocation removes the copy."""

from __future__ import annotations

import dataclasses
import json
import os
import ssl
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from binational.config import get_settings
from binational.federation import sync
from tests.faults.conftest import free_port
from tests.federation.conftest import trust_each_other

API = "/api/v1/entities"


def _start(env: dict[str, str], log: Path, *args: str) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(  # noqa: S603 - our own interpreter and command
            [sys.executable, "-c", "from binational.cli import main; main()", "serve", "--log-level", "warning",
             *args], env=env, stdout=out, stderr=subprocess.STDOUT)


def _wait(proc: subprocess.Popen[bytes], log: Path, url: str, **client: object) -> None:
    deadline = time.monotonic() + 300  # a loaded machine starts slowly
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"the node exited: {log.read_text()}")
        try:
            with httpx.Client(timeout=2, **client) as c:  # type: ignore[arg-type]
                if c.get(url).status_code == 200:
                    return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError(f"{url} did not answer: {log.read_text()}")


def _push(env: dict[str, str]) -> dict[str, object]:
    done = subprocess.run(  # noqa: S603 - our own interpreter and command
        [sys.executable, "-c", "from binational.cli import main; main()", "federation", "push"],
        env=env, capture_output=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr.decode()
    result: dict[str, object] = json.loads(done.stdout.decode().strip().splitlines()[-1])
    return result


def _env(settings, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BINATIONAL_")}
    fields = {"database_url": settings.database_url, "audit_key_path": settings.audit_key_path,
              "secret_key": settings.secret_key, "environment": "test", "node_country": settings.node_country,
              "federation_node_id": settings.federation_node_id, "federation_endpoint": settings.federation_endpoint,
              "federation_node_key_path": settings.node_key_path,
              "federation_witness_key_path": settings.witness_key_path,
              "federation_tls_cert_path": settings.federation_tls_cert_path,
              "federation_tls_key_path": settings.federation_tls_key_path, "user_requests_per_minute": 0,
              # one process per node, appending its own audit entries: no sequencer to spawn
              "audit_sequence_ms": 0, "federation_min_witnesses": settings.federation_min_witnesses}
    for name, value in {**fields, **extra}.items():
        env[f"BINATIONAL_{name.upper()}"] = str(value)
    return env


def test_two_nodes_release_read_locked_and_revoke(us_node, db, mx, cast, tmp_path: Path, monkeypatch):
    certs = {}
    for name in ("us", "mx", "stranger"):
        cert, key = sync.self_signed()
        (tmp_path / f"{name}.crt").write_bytes(cert)
        (tmp_path / f"{name}.key").write_bytes(key)
        certs[name] = (tmp_path / f"{name}.crt", tmp_path / f"{name}.key")
    us_port, mx_port, mx_fed_port = free_port(), free_port(), free_port()
    monkeypatch.setenv("BINATIONAL_FEDERATION_TLS_CERT_PATH", str(certs["us"][0]))
    monkeypatch.setenv("BINATIONAL_FEDERATION_TLS_KEY_PATH", str(certs["us"][1]))
    get_settings.cache_clear()
    us = get_settings()
    mx_settings = mx.settings.model_copy(update={
        "federation_endpoint": f"https://127.0.0.1:{mx_fed_port}/", "federation_tls_cert_path": certs["mx"][0],
        "federation_tls_key_path": certs["mx"][1]})
    trust_each_other(db, us, dataclasses.replace(mx, settings=mx_settings))
    us_env, mx_env = _env(us), _env(mx_settings)
    logs = [tmp_path / f"{name}.log" for name in ("us", "mx", "mx-federation")]
    procs = [_start(us_env, logs[0], "--port", str(us_port)), _start(mx_env, logs[1], "--port", str(mx_port)),
             _start(mx_env, logs[2], "--port", str(mx_fed_port), "--federation-tls", *map(str, certs["mx"]))]
    try:
        pinned = ssl.create_default_context(cadata=certs["mx"][0].read_text())
        pinned.load_cert_chain(*certs["us"])
        _wait(procs[0], logs[0], f"http://127.0.0.1:{us_port}/api/v1/openapi.json")
        _wait(procs[1], logs[1], f"http://127.0.0.1:{mx_port}/api/v1/openapi.json")
        _wait(procs[2], logs[2], f"https://127.0.0.1:{mx_fed_port}/api/v1/openapi.json", verify=pinned)
        # attack: no client certificate, or one no anchor pins: the handshake fails, nothing is read
        bare = ssl.create_default_context(cadata=certs["mx"][0].read_text())
        stranger = ssl.create_default_context(cadata=certs["mx"][0].read_text())
        stranger.load_cert_chain(*certs["stranger"])
        for context in (bare, stranger):
            with pytest.raises(httpx.TransportError), httpx.Client(verify=context, timeout=5) as c:
                c.post(f"https://127.0.0.1:{mx_fed_port}{sync.PATH}", content=b"{}")
        with httpx.Client(base_url=f"http://127.0.0.1:{us_port}", timeout=30) as c:
            r = c.post(API, headers=cast["us_analyst"].headers, json={
                "schema": "Person", "properties": {"name": ["Ramona Quintero"]}, "distribution": "release",
                "release_to": ["MX-FGR"]})
            assert r.status_code == 201, r.text
            entity_id = r.json()["id"]
        assert _push(us_env) == {"bundles": 1, "tombstones": 0, "sent": 1, "failed": []}
        with httpx.Client(base_url=f"http://127.0.0.1:{mx_port}", timeout=30) as c:
            r = c.get(f"{API}/{entity_id}", headers=cast["mx_analyst"].headers)
            assert r.status_code == 200, r.text
            assert r.json()["owner_agency"] == "US-CBP"
            assert c.patch(f"{API}/{entity_id}", headers=cast["mx_analyst"].headers,
                           json={"add": {"alias": ["X"]}}).status_code in (403, 404)
            assert c.get(f"{API}/{entity_id}", headers=cast["mx_inm"].headers).status_code == 404
        with httpx.Client(base_url=f"http://127.0.0.1:{us_port}", timeout=30) as c:
            release = c.get(f"{API}/{entity_id}/releases", headers=cast["us_analyst"].headers).json()[0]
            assert c.delete(f"/api/v1/releases/{release['id']}",
                            headers=cast["us_supervisor"].headers).status_code == 200
        assert _push(us_env) == {"bundles": 0, "tombstones": 1, "sent": 1, "failed": []}
        with httpx.Client(base_url=f"http://127.0.0.1:{mx_port}", timeout=30) as c:
            assert c.get(f"{API}/{entity_id}", headers=cast["mx_analyst"].headers).status_code == 404
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=30)
