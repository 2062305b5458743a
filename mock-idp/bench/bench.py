#!/usr/bin/env python3
"""mock-idp vs oauth2-mock-server: startup time, client_credentials tokens/s, RSS.

Run through run.sh, which builds the release binary, installs the pinned oauth2-mock-server
and wrk, then calls this script. Everything listens on 127.0.0.1 only; every phase is bounded
in time; every server this script starts is stopped on exit (normal, error, Ctrl-C, SIGTERM).
"""

import argparse
import atexit
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request

HOST = "127.0.0.1"
DISCOVERY = "/.well-known/openid-configuration"
# The same form body for both servers: oauth2-mock-server only needs grant_type and ignores the
# rest; mock-idp authenticates the client and checks the audience.
TOKEN_BODY = (
    "grant_type=client_credentials&client_id=sample-m2m&client_secret=sample-m2m-secret"
    "&audience=https%3A%2F%2Fsample-api"
)

_children = []


def _cleanup():
    for proc in _children:
        if proc.poll() is None:
            try:
                proc.terminate()
                proc.wait(timeout=5)
            except Exception:
                proc.kill()
    _children.clear()


def _on_signal(signum, _frame):
    _cleanup()
    sys.exit(128 + signum)


atexit.register(_cleanup)
signal.signal(signal.SIGTERM, _on_signal)
signal.signal(signal.SIGINT, _on_signal)
signal.signal(signal.SIGHUP, _on_signal)


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, name, argv_for_port, token_path):
        self.name = name
        self.argv_for_port = argv_for_port
        self.token_path = token_path


def clean_env():
    env = dict(os.environ)
    # A plain default start: no config from the caller's environment.
    for key in list(env):
        if key.startswith("MOCK_IDP_") or key in ("RUST_LOG", "NODE_OPTIONS"):
            del env[key]
    return env


def spawn(server, port, log_path):
    logf = open(log_path, "ab")
    proc = subprocess.Popen(
        server.argv_for_port(port),
        stdin=subprocess.DEVNULL,
        stdout=logf,
        stderr=subprocess.STDOUT,
        env=clean_env(),
    )
    logf.close()
    _children.append(proc)
    return proc


def stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)  # oauth2-mock-server only handles SIGINT; mock-idp both
        try:
            proc.wait(timeout=3)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
    if proc in _children:
        _children.remove(proc)


def probe(port):
    """One attempt: the HTTP status of GET discovery, or None if not answering yet."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(2.0)
    try:
        s.connect((HOST, port))
        s.sendall(
            f"GET {DISCOVERY} HTTP/1.1\r\nHost: localhost:{port}\r\nConnection: close\r\n\r\n".encode()
        )
        head = b""
        while b"\r\n" not in head:
            chunk = s.recv(4096)
            if not chunk:
                return None
            head += chunk
        parts = head.split(b" ", 2)
        return int(parts[1]) if len(parts) > 1 else None
    except OSError:
        return None
    finally:
        s.close()


def wait_ready(proc, port, t0, timeout=30.0, sleep=0.001):
    """Seconds from t0 to the first HTTP 200 from discovery; polls every ~1 ms."""
    while True:
        if probe(port) == 200:
            return time.perf_counter() - t0
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before answering")
        if time.perf_counter() - t0 > timeout:
            raise RuntimeError(f"no HTTP 200 from {DISCOVERY} within {timeout} s")
        time.sleep(sleep)


def measure_starts(server, n, log_path):
    times = []
    for i in range(n):
        port = free_port()
        t0 = time.perf_counter()  # clock starts right before the spawn
        proc = spawn(server, port, log_path)
        try:
            times.append(wait_ready(proc, port, t0))
        finally:
            stop(proc)
        log(f"  {server.name} start {i + 1}/{n}: {times[-1] * 1000:.1f} ms")
    return times


def proc_status(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(value.split()[0])  # kB
            elif key == "Threads":
                out[key] = int(value)
    return out


def proc_cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # fields[11], fields[12] are utime and stime (the 14th and 15th of the full line)
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def check_token(port, path):
    req = urllib.request.Request(
        f"http://{HOST}:{port}{path}",
        data=TOKEN_BODY.encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        method="POST",
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        body = json.loads(resp.read())
        status = resp.status
    token = body.get("access_token", "")
    if status != 200 or token.count(".") != 2:
        raise RuntimeError(f"token check failed: HTTP {status}, body {body}")
    header = json.loads(_b64url(token.split(".")[0]))
    return header.get("alg")


def _b64url(s):
    import base64

    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def run_wrk(port, path, duration, conns, threads, lua, scheme="http"):
    cmd = [
        "wrk", f"-t{threads}", f"-c{conns}", f"-d{duration}s", "--timeout", "5s",
        "-s", lua, f"{scheme}://{HOST}:{port}{path}",
    ]
    env = dict(os.environ, BENCH_BODY=TOKEN_BODY)
    out = subprocess.run(
        cmd, env=env, capture_output=True, text=True, timeout=duration + 30, check=True
    ).stdout
    m = re.search(r"BENCH_RESULT (.*)", out)
    if not m:
        raise RuntimeError(f"wrk printed no summary:\n{out}")
    res = {k: int(v) for k, v in (kv.split("=") for kv in m.group(1).split())}
    res["rps"] = res["requests"] / (res["duration_us"] / 1e6)
    res["ok"] = res["requests"] - res["non2xx3xx"]
    res["ok_rps"] = res["ok"] / (res["duration_us"] / 1e6)
    res["socket_errors"] = res["connect"] + res["read"] + res["write"] + res["timeout"]
    return res


def load_phase(server, args, log_path):
    port = free_port()
    t0 = time.perf_counter()
    proc = spawn(server, port, log_path)
    try:
        wait_ready(proc, port, t0)
        time.sleep(args.idle)
        idle = proc_status(proc.pid)
        alg = check_token(port, server.token_path)
        log(f"  {server.name}: idle RSS {idle['VmRSS'] / 1024:.1f} MiB, threads {idle['Threads']}, "
            f"token alg {alg}; warm-up {args.warmup} s")
        if args.warmup > 0:
            run_wrk(port, server.token_path, args.warmup, args.connections, args.threads, args.lua)
        cpu0 = proc_cpu_seconds(proc.pid)
        log(f"  {server.name}: load {args.duration} s, {args.connections} connections, "
            f"{args.threads} wrk thread(s)")
        res = run_wrk(port, server.token_path, args.duration, args.connections, args.threads, args.lua)
        cpu = proc_cpu_seconds(proc.pid) - cpu0
        res["server_cpu_pct"] = 100 * cpu / (res["duration_us"] / 1e6)
        res["tokens_per_cpu_s"] = res["ok"] / cpu if cpu > 0 else float("nan")
        after = proc_status(proc.pid)
        return {"idle": idle, "after": after, "load": res, "alg": alg}
    finally:
        stop(proc)


def openssl_speed(seconds, cores):
    """RSA-2048 sign/s: one process, and `-multi cores` (the sum over processes)."""
    if not shutil.which("openssl"):
        return None, None

    def parse(out):
        for line in out.splitlines():
            m = re.match(r"\s*rsa\s+2048 bits\s+\S+\s+\S+\s+([\d.]+)\s+([\d.]+)", line)
            if m:
                return float(m.group(1))
        raise RuntimeError(f"cannot parse openssl speed output:\n{out}")

    base = ["openssl", "speed", "-seconds", str(seconds)]
    single = parse(subprocess.run(base + ["rsa2048"], capture_output=True, text=True,
                                  timeout=120, check=True).stdout)
    multi = parse(subprocess.run(base + ["-multi", str(cores), "rsa2048"], capture_output=True,
                                 text=True, timeout=120, check=True).stdout)
    return single, multi


def ms(x):
    return f"{x * 1000:.1f} ms"


def mib(kb):
    return f"{kb / 1024:.1f} MiB"


def verdict(ok):
    return "yes" if ok else "**NO**"


def print_table(headers, rows):
    """The table on stdout, columns aligned."""
    widths = [max(len(str(c)) for c in col) for col in zip(headers, *rows)]

    def line(cells):
        return "  ".join(str(c).ljust(w) for c, w in zip(cells, widths)).rstrip()

    print()
    print(line(headers))
    print(line(["-" * w for w in widths]))
    for r in rows:
        print(line(r))
    print()


def write_table(f, title, context, headers, rows):
    """The report's head and its table, as markdown."""
    f.write(f"# {title}\n\n")
    f.write(f"{context}.\n\n")
    f.write("| " + " | ".join(headers) + " |\n")
    f.write("|" + "|".join("---" for _ in headers) + "|\n")
    for r in rows:
        f.write("| " + " | ".join(str(c).replace("|", "\\|") for c in r) + " |\n")


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--mock-idp", required=True, help="path to target/release/mock-idp")
    p.add_argument("--oms", required=True, help="path to oauth2-mock-server's CLI script")
    p.add_argument("--oms-version", default="?")
    p.add_argument("--starts", type=int, default=10)
    p.add_argument("--duration", type=int, default=10, help="seconds of measured load")
    p.add_argument("--warmup", type=int, default=2, help="seconds of unmeasured load first")
    p.add_argument("--connections", type=int, default=32)
    p.add_argument("--threads", type=int, default=1, help="wrk threads")
    p.add_argument("--idle", type=float, default=1.0, help="seconds idle before reading RSS")
    p.add_argument("--openssl-seconds", type=int, default=3)
    p.add_argument("--lua", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "post.lua"))
    p.add_argument("--out", required=True, help="markdown report path")
    p.add_argument("--logs", required=True, help="directory for server logs")
    args = p.parse_args()
    if args.starts < 2:
        p.error("--starts must be at least 2 (the first start is reported separately)")
    os.makedirs(args.logs, exist_ok=True)

    cores = len(os.sched_getaffinity(0))
    servers = [
        Server("mock-idp", lambda port: [args.mock_idp, "--port", str(port)], "/oauth/token"),
        # -a 127.0.0.1: loopback only (its default is every interface).
        Server("oauth2-mock-server",
               lambda port: ["node", args.oms, "-a", HOST, "-p", str(port)], "/token"),
    ]

    starts = {}
    for s in servers:
        log(f"startup: {args.starts} starts of {s.name} ...")
        starts[s.name] = measure_starts(s, args.starts, os.path.join(args.logs, f"{s.name}.log"))

    # Measured right before the load: on a shared VM the CPU on offer drifts over a minute.
    log(f"openssl speed rsa2048 ({args.openssl_seconds} s, single and -multi {cores}) ...")
    ssl_single, ssl_multi = openssl_speed(args.openssl_seconds, cores)

    loads = {}
    for s in servers:
        log(f"load: {s.name} ...")
        loads[s.name] = load_phase(s, args, os.path.join(args.logs, f"{s.name}.log"))

    ours, theirs = "mock-idp", "oauth2-mock-server"
    st = {k: {"first": v[0], "median": statistics.median(v[1:]), "min": min(v[1:]),
              "max": max(v[1:])} for k, v in starts.items()}
    lo, lt = loads[ours]["load"], loads[theirs]["load"]
    rows = []  # (metric, ours, theirs, ratio, target, met)

    def row(metric, a, b, ratio="", target="", met=""):
        rows.append((metric, a, b, ratio, target, met))

    row("Startup to discovery 200, first start", ms(st[ours]["first"]), ms(st[theirs]["first"]),
        f"{st[theirs]['first'] / st[ours]['first']:.1f}x faster")
    row(f"Startup, median of starts 2..{args.starts}", ms(st[ours]["median"]),
        ms(st[theirs]["median"]), f"{st[theirs]['median'] / st[ours]['median']:.1f}x faster",
        "ours <= 50 ms", verdict(st[ours]["median"] <= 0.050))
    row(f"Startup, min / max of starts 2..{args.starts}",
        f"{ms(st[ours]['min'])} / {ms(st[ours]['max'])}",
        f"{ms(st[theirs]['min'])} / {ms(st[theirs]['max'])}", "", "ours max <= 50 ms",
        verdict(st[ours]["max"] <= 0.050))
    ratio = lo["ok_rps"] / lt["ok_rps"] if lt["ok_rps"] else float("inf")
    row(f"client_credentials tokens/s ({args.connections} conns, {args.duration} s, 200s only)",
        f"{lo['ok_rps']:.0f}", f"{lt['ok_rps']:.0f}", f"{ratio:.2f}x", ">= 2x theirs",
        verdict(ratio >= 2))
    if ssl_single:
        ref1 = ssl_single * cores
        row(f"  vs openssl rsa2048 sign/s x {cores} cores ({ssl_single:.0f} x {cores} = {ref1:.0f})",
            f"{100 * lo['ok_rps'] / ref1:.0f}%", f"{100 * lt['ok_rps'] / ref1:.0f}%", "",
            ">= 70%", verdict(lo["ok_rps"] >= 0.7 * ref1))
        row(f"  vs openssl rsa2048 sign/s -multi {cores} ({ssl_multi:.0f})",
            f"{100 * lo['ok_rps'] / ssl_multi:.0f}%", f"{100 * lt['ok_rps'] / ssl_multi:.0f}%", "",
            ">= 70%", verdict(lo["ok_rps"] >= 0.7 * ssl_multi))
        row(f"  openssl -multi {cores} / single: cores that scale", f"{ssl_multi / ssl_single:.2f}",
            "", "", f"~{cores} expected", verdict(ssl_multi / ssl_single >= 0.8 * cores))
    row("  non-2xx/3xx responses / socket errors", f"{lo['non2xx3xx']} / {lo['socket_errors']}",
        f"{lt['non2xx3xx']} / {lt['socket_errors']}", "", "0 / 0",
        verdict(lo["non2xx3xx"] + lo["socket_errors"] == 0))
    row("  latency p50 / p99", f"{lo['p50_us'] / 1000:.1f} / {lo['p99_us'] / 1000:.1f} ms",
        f"{lt['p50_us'] / 1000:.1f} / {lt['p99_us'] / 1000:.1f} ms")
    row("  server CPU during load (100% = 1 core)", f"{lo['server_cpu_pct']:.0f}%",
        f"{lt['server_cpu_pct']:.0f}%")
    row("  tokens per server CPU-second", f"{lo['tokens_per_cpu_s']:.0f}",
        f"{lt['tokens_per_cpu_s']:.0f}",
        f"{lo['tokens_per_cpu_s'] / lt['tokens_per_cpu_s']:.2f}x")
    io, it = loads[ours]["idle"], loads[theirs]["idle"]
    row(f"Idle RSS ({args.idle:g} s after ready)", mib(io["VmRSS"]), mib(it["VmRSS"]),
        f"{it['VmRSS'] / io['VmRSS']:.1f}x smaller", "ours <= 20 MiB",
        verdict(io["VmRSS"] <= 20 * 1024))
    ao, at = loads[ours]["after"], loads[theirs]["after"]
    row("RSS after load (peak)", f"{mib(ao['VmRSS'])} ({mib(ao['VmHWM'])})",
        f"{mib(at['VmRSS'])} ({mib(at['VmHWM'])})")
    row("Threads (idle / after load)", f"{io['Threads']} / {ao['Threads']}",
        f"{it['Threads']} / {at['Threads']}")

    headers = ("Metric", "mock-idp", f"oauth2-mock-server {args.oms_version}", "Ratio", "Target",
               "Met")
    context = (f"{cores} cores ({os.uname().machine}), wrk {args.threads} thread(s) x "
               f"{args.connections} connections, {args.warmup} s warm-up + {args.duration} s; "
               f"{args.starts} starts each; token algs: {loads[ours]['alg']} / "
               f"{loads[theirs]['alg']}")
    print_table(headers, rows)
    print(context)
    print(f"startup, all starts (ms): mock-idp "
          f"{[round(t * 1000, 1) for t in starts[ours]]}; oauth2-mock-server "
          f"{[round(t * 1000, 1) for t in starts[theirs]]}")

    with open(args.out, "w") as f:
        write_table(f, "mock-idp benchmark", context, headers, rows)
        f.write("\nStartup, all starts (ms):\n\n")
        for k in (ours, theirs):
            f.write(f"- {k}: {', '.join(f'{t * 1000:.1f}' for t in starts[k])}\n")
        f.write(f"\nopenssl speed rsa2048 sign/s: {ssl_single} (1 process), "
                f"{ssl_multi} (-multi {cores})\n")
    print(f"\nmarkdown report: {args.out}")


if __name__ == "__main__":
    main()
