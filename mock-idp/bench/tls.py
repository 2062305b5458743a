#!/usr/bin/env python3
"""mock-idp --tls vs oauth2-mock-server over HTTPS: startup, client_credentials tokens/s.

Run through tls.sh, which builds the release binary, installs the pinned oauth2-mock-server
and wrk, then calls this script. It shares bench.py's helpers (process handling, wrk, CPU
accounting). Both servers serve the same ECDSA P-256 leaf, the one mock-idp's local CA
signed, so the TLS work per connection is the same. Everything listens on 127.0.0.1 only;
every phase is bounded in time; every server this script starts is stopped on exit.
"""

import argparse
import http.client
import json
import os
import ssl
import statistics
import subprocess
import tempfile
import time

import bench
from bench import HOST, TOKEN_BODY, log

DISCOVERY = "/.well-known/openid-configuration"


def spawn_piped(argv, log_path):
    """Starts argv with stdout piped (for the ready line) and stderr to log_path."""
    logf = open(log_path, "ab")
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=logf, env=bench.clean_env())
    logf.close()
    bench._children.append(proc)
    return proc


def https_status(port, ctx, path=DISCOVERY, method="GET", body=None):
    conn = http.client.HTTPSConnection(HOST, port, context=ctx, timeout=5)
    try:
        headers = {"Content-Type": "application/x-www-form-urlencoded"} if body else {}
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def wait_https(proc, port, ctx, t0, timeout=30.0):
    """Seconds from t0 to the first HTTPS 200 from discovery; polls every ~1 ms."""
    while True:
        try:
            if https_status(port, ctx)[0] == 200:
                return time.perf_counter() - t0
        except (OSError, ssl.SSLError, http.client.HTTPException):
            pass
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before answering")
        if time.perf_counter() - t0 > timeout:
            raise RuntimeError(f"no HTTPS 200 from {DISCOVERY} within {timeout} s")
        time.sleep(0.001)


def start_ours(binary, tls_dir, log_path, ctx=None):
    """(ready line s, first HTTPS 200 s or None) for one `mock-idp --tls` start."""
    port = bench.free_port()
    argv = [binary, "--port", str(port), "--tls", "--tls-dir", tls_dir]
    t0 = time.perf_counter()
    proc = spawn_piped(argv, log_path)
    try:
        line = proc.stdout.readline().decode()
        ready = time.perf_counter() - t0
        if not line.startswith("mock-idp ready: issuer https://"):
            raise RuntimeError(f"unexpected ready line {line!r}")
        answered = wait_https(proc, port, ctx, t0) if ctx else None
        return ready, answered
    finally:
        bench.stop(proc)


def start_theirs(oms, cert, key, ctx, log_path):
    port = bench.free_port()
    argv = ["node", oms, "-a", HOST, "-p", str(port), "-c", cert, "-k", key]
    t0 = time.perf_counter()
    proc = spawn_piped(argv, log_path)
    try:
        return wait_https(proc, port, ctx, t0)
    finally:
        bench.stop(proc)


def load(argv, port, path, ctx, args, log_path, scheme="https"):
    t0 = time.perf_counter()
    proc = spawn_piped(argv, log_path)
    try:
        if scheme == "https":
            wait_https(proc, port, ctx, t0)
            status, body = https_status(port, ctx, path, "POST", TOKEN_BODY)
            token = json.loads(body).get("access_token", "")
            if status != 200 or token.count(".") != 2:
                raise RuntimeError(f"token check failed: HTTP {status}, body {body[:200]!r}")
        else:
            bench.wait_ready(proc, port, t0)
            bench.check_token(port, path)  # raises unless it is a signed token
        if args.warmup > 0:
            bench.run_wrk(port, path, args.warmup, args.connections, args.threads, args.lua,
                          scheme=scheme)
        cpu0 = bench.proc_cpu_seconds(proc.pid)
        res = bench.run_wrk(port, path, args.duration, args.connections, args.threads, args.lua,
                            scheme=scheme)
        cpu = bench.proc_cpu_seconds(proc.pid) - cpu0
        res["server_cpu_pct"] = 100 * cpu / (res["duration_us"] / 1e6)
        res["tokens_per_cpu_s"] = res["ok"] / cpu if cpu > 0 else float("nan")
        return res
    finally:
        bench.stop(proc)


def ms(x):
    return f"{x * 1000:.1f} ms"


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--mock-idp", required=True)
    p.add_argument("--oms", required=True)
    p.add_argument("--oms-version", default="?")
    p.add_argument("--starts", type=int, default=10)
    p.add_argument("--first-starts", type=int, default=5, help="starts that create the CA")
    p.add_argument("--duration", type=int, default=10)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--connections", type=int, default=32)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--lua", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                 "post.lua"))
    p.add_argument("--out", required=True)
    p.add_argument("--logs", required=True)
    args = p.parse_args()
    os.makedirs(args.logs, exist_ok=True)
    ours_log = os.path.join(args.logs, "mock-idp-tls.log")
    theirs_log = os.path.join(args.logs, "oauth2-mock-server-https.log")

    with tempfile.TemporaryDirectory(prefix="mock-idp-tls-bench-") as scratch:
        log(f"first starts (each makes a CA): {args.first_starts} ...")
        first = [start_ours(args.mock_idp, os.path.join(scratch, f"fresh{i}"), ours_log)[0]
                 for i in range(args.first_starts)]
        tls_dir = os.path.join(scratch, "tls")
        start_ours(args.mock_idp, tls_dir, ours_log)  # makes the CA and leaf reused below
        ca = os.path.join(tls_dir, "ca.pem")
        cert, key = os.path.join(tls_dir, "cert.pem"), os.path.join(tls_dir, "key.pem")
        ctx = ssl.create_default_context(cafile=ca)

        log(f"starts with an existing CA: {args.starts} of mock-idp --tls ...")
        again = [start_ours(args.mock_idp, tls_dir, ours_log, ctx) for _ in range(args.starts)]
        log(f"starts: {args.starts} of oauth2-mock-server over HTTPS ...")
        theirs_starts = [start_theirs(args.oms, cert, key, ctx, theirs_log)
                         for _ in range(args.starts)]

        loads = {}
        port = bench.free_port()
        log("load: mock-idp --tls ...")
        loads["ours"] = load([args.mock_idp, "--port", str(port), "--tls", "--tls-dir", tls_dir],
                             port, "/oauth/token", ctx, args, ours_log)
        port = bench.free_port()
        log("load: oauth2-mock-server over HTTPS ...")
        loads["theirs"] = load(["node", args.oms, "-a", HOST, "-p", str(port), "-c", cert,
                                "-k", key], port, "/token", ctx, args, theirs_log)
        port = bench.free_port()
        log("load: mock-idp over plain HTTP, for the cost of TLS ...")
        loads["plain"] = load([args.mock_idp, "--port", str(port)], port, "/oauth/token", ctx,
                              args, ours_log, scheme="http")

    ready = [r for r, _ in again]
    answered = [a for _, a in again]
    lo, lt, lp = loads["ours"], loads["theirs"], loads["plain"]
    rows = []

    def row(metric, a, b, ratio="", target="", met=""):
        rows.append((metric, a, b, ratio, target, met))

    verdict = bench.verdict
    row("First start (makes the CA) to ready line, median", ms(statistics.median(first)), "",
        "", "", "")
    row(f"Start with an existing CA to ready line, median of {args.starts}",
        ms(statistics.median(ready)), "", "", "<= 50 ms",
        verdict(statistics.median(ready) <= 0.050))
    row("  same, max", ms(max(ready)), "", "", "<= 50 ms", verdict(max(ready) <= 0.050))
    row("Start to first HTTPS discovery 200, median", ms(statistics.median(answered)),
        ms(statistics.median(theirs_starts)),
        f"{statistics.median(theirs_starts) / statistics.median(answered):.1f}x faster")
    ratio = lo["ok_rps"] / lt["ok_rps"] if lt["ok_rps"] else float("inf")
    row(f"client_credentials tokens/s over TLS, keep-alive ({args.connections} conns, "
        f"{args.duration} s)", f"{lo['ok_rps']:.0f}", f"{lt['ok_rps']:.0f}", f"{ratio:.2f}x",
        ">= 2x theirs", verdict(ratio >= 2))
    cpu_ratio = lo["tokens_per_cpu_s"] / lt["tokens_per_cpu_s"]
    row("  tokens per server CPU-second", f"{lo['tokens_per_cpu_s']:.0f}",
        f"{lt['tokens_per_cpu_s']:.0f}", f"{cpu_ratio:.2f}x", ">= 2x theirs",
        verdict(cpu_ratio >= 2))
    row("  server CPU during load (100% = 1 core)", f"{lo['server_cpu_pct']:.0f}%",
        f"{lt['server_cpu_pct']:.0f}%")
    row("  non-2xx/3xx responses / socket errors", f"{lo['non2xx3xx']} / {lo['socket_errors']}",
        f"{lt['non2xx3xx']} / {lt['socket_errors']}", "", "0 / 0",
        verdict(lo["non2xx3xx"] + lo["socket_errors"] == 0))
    row("  latency p50 / p99", f"{lo['p50_us'] / 1000:.1f} / {lo['p99_us'] / 1000:.1f} ms",
        f"{lt['p50_us'] / 1000:.1f} / {lt['p99_us'] / 1000:.1f} ms")
    row("mock-idp plain HTTP tokens/s (same run), TLS / plain", f"{lp['ok_rps']:.0f}", "",
        f"{lo['ok_rps'] / lp['ok_rps']:.2f}")

    headers = ("Metric", "mock-idp --tls", f"oauth2-mock-server {args.oms_version} (https)",
               "Ratio", "Target", "Met")
    cores = len(os.sched_getaffinity(0))
    context = (f"{cores} cores ({os.uname().machine}), wrk {args.threads} thread(s) x "
               f"{args.connections} connections over HTTPS (keep-alive), {args.warmup} s warm-up "
               f"+ {args.duration} s; one ECDSA P-256 leaf for both servers")
    bench.print_table(headers, rows)
    print(context)
    print(f"ready line with an existing CA (ms): {[round(t * 1000, 1) for t in ready]}")
    print(f"first starts (ms): {[round(t * 1000, 1) for t in first]}")
    with open(args.out, "w") as f:
        bench.write_table(f, "mock-idp TLS benchmark", context, headers, rows)
    print(f"\nmarkdown report: {args.out}")


if __name__ == "__main__":
    main()
