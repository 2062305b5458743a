"""Starts the real mock-idp binary for the suite and talks to its control API.

The Python twin of ``tests/sdk/harness/mock.mjs``: the binary comes from ``MOCK_IDP_BIN``
(``cargo xtask test`` sets it), else from ``$CARGO_TARGET_DIR/debug/mock-idp``, else from the
workspace's ``target/debug``. A missing binary is an error, never a skipped suite.
"""

from __future__ import annotations

import json
import os
import queue
import re
import ssl
import subprocess
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[2]
READY = re.compile(r"mock-idp ready: issuer (\S+) listening (\S+)")
READY_TIMEOUT = 20.0


def mock_idp_bin() -> Path:
    """The mock-idp binary the suite runs."""
    target = os.environ.get("CARGO_TARGET_DIR")
    target_dir = (ROOT / target) if target else ROOT / "target"
    binary = Path(os.environ.get("MOCK_IDP_BIN") or target_dir / "debug" / "mock-idp")
    if not binary.is_file():
        raise RuntimeError(
            f"the Python suite needs the mock-idp binary at {binary}, and none is there: "
            "run `cargo build -p mock-idp` (or `cargo xtask test`), or set MOCK_IDP_BIN"
        )
    return binary


@dataclass
class Mock:
    """A running mock-idp process."""

    process: subprocess.Popen
    issuer: str
    ca_file: Path | None
    stderr_file: Path

    @property
    def host(self) -> str:
        """``localhost:41234``: what auth0-python takes as a domain."""
        return urlsplit(self.issuer).netloc

    @property
    def origin(self) -> str:
        return self.issuer.rstrip("/")

    def stderr(self) -> str:
        return self.stderr_file.read_text(errors="replace")

    def control(self, method: str, route: str, body: object | None = None) -> object:
        """Calls ``/_mock/<route>`` and returns its JSON answer (``None`` for an empty one)."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"{self.origin}/_mock/{route.lstrip('/')}",
            data=data,
            method=method,
            headers={"x-mock-idp": "1", **({"content-type": "application/json"} if data else {})},
        )
        context = ssl.create_default_context(cafile=str(self.ca_file)) if self.ca_file else None
        with urllib.request.urlopen(request, timeout=10, context=context) as response:
            text = response.read().decode()
        return json.loads(text) if text else None

    def reset(self) -> None:
        """Back to the state it started in (tenant, sessions, clock, journal)."""
        self.control("POST", "reset", {})

    def endpoints(self) -> list[str]:
        """The journal's endpoint names, oldest first."""
        return [r["endpoint"] for r in self.control("GET", "requests")["requests"]]

    def stop(self) -> None:
        """SIGTERM to this child only, then wait for it (SIGKILL if it does not exit); its
        stderr file goes with it."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.stderr_file.unlink(missing_ok=True)


def start_mock(config: str | None = None, tls_dir: Path | None = None) -> Mock:
    """Starts a mock on a free port (``--port 0``) and returns once it printed its ready line.

    ``config`` is a tenant as TOML (``MOCK_IDP_CONFIG_TOML``); ``tls_dir`` makes it speak
    HTTPS with a certificate from the local CA it keeps there (``ca.pem``).
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOCK_IDP_")}
    if config is not None:
        env["MOCK_IDP_CONFIG_TOML"] = config
    args = [str(mock_idp_bin()), "--port", "0"]
    if tls_dir is not None:
        args += ["--tls", "--tls-dir", str(tls_dir)]
    stderr_file = Path(tempfile.mkstemp(prefix="mock-idp-stderr-")[1])
    with stderr_file.open("wb") as stderr:
        process = subprocess.Popen(
            args, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=stderr
        )
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        # Drains stdout for the process's whole life, so a full pipe never blocks the mock.
        for raw in process.stdout:
            lines.put(raw.decode(errors="replace"))
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    deadline = time.monotonic() + READY_TIMEOUT
    while True:
        try:
            line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            process.kill()
            raise RuntimeError(
                f"mock-idp printed no ready line within {READY_TIMEOUT:.0f} s; stderr:\n"
                + stderr_file.read_text(errors="replace")
            ) from None
        if line is None:
            code = process.wait()
            raise RuntimeError(
                f"mock-idp exited ({code}) before it was ready; stderr:\n"
                + stderr_file.read_text(errors="replace")
            )
        ready = READY.search(line)
        if ready:
            ca_file = tls_dir / "ca.pem" if tls_dir is not None else None
            return Mock(process, ready.group(1), ca_file, stderr_file)
