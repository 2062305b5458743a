#!/usr/bin/env bash
# The container image's figures: image size, container start → discovery 200, idle RSS, and
# the cost of one HEALTHCHECK probe. A script that reports, never a test that fails a build.
#
# No peer image can be pulled from this project's machines (no registry is reachable), so the
# peers appear only as the sizes they publish; see the README. Loopback only; every container
# it starts is removed on exit.
#
# Knobs: BENCH_STARTS (10), BENCH_IMAGE (mock-idp:local), BENCH_SKIP_BUILD=1 to use the
# image as it is instead of running `cargo xtask image` first.
set -euo pipefail

starts="${BENCH_STARTS:-10}"
image="${BENCH_IMAGE:-mock-idp:local}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"

for tool in docker curl python3; do
  command -v "$tool" >/dev/null || { echo "container.sh: $tool is required" >&2; exit 1; }
done
timeout 10 docker version >/dev/null 2>&1 || { echo "container.sh: no Docker daemon answers" >&2; exit 1; }
if [[ -z "${BENCH_SKIP_BUILD:-}" ]]; then
  cargo xtask image
fi

containers=()
cleanup() { for c in "${containers[@]}"; do docker rm -f "$c" >/dev/null 2>&1 || true; done; }
trap cleanup EXIT

now_ns() { date +%s%N; }

size=$(docker image inspect --format '{{.Size}}' "$image")

# Start → discovery 200: `docker start` of a created container, then curl until it answers
# (no pause between attempts: the figure is the time to the first 200).
times=()
dockers=()
for _ in $(seq "$starts"); do
  c=$(docker create -p 127.0.0.1::4000 "$image")
  containers+=("$c")
  t0=$(now_ns)
  docker start "$c" >/dev/null
  dockers+=($(( ($(now_ns) - t0) / 1000000 )))
  port=$(docker port "$c" 4000/tcp | head -n1 | sed 's/.*://')
  deadline=$(( $(date +%s) + 20 ))
  until curl -fs -o /dev/null "http://127.0.0.1:$port/.well-known/openid-configuration"; do
    [[ $(date +%s) -lt $deadline ]] || { echo "container.sh: no discovery within 20 s" >&2; exit 1; }
  done
  t1=$(now_ns)
  times+=($(( (t1 - t0) / 1000000 )))
  docker rm -f "$c" >/dev/null
done

# Idle RSS of the server process (its PID on this host), after it has answered once.
c=$(docker run -d -p 127.0.0.1::4000 "$image")
containers+=("$c")
port=$(docker port "$c" 4000/tcp | head -n1 | sed 's/.*://')
until curl -fs -o /dev/null "http://127.0.0.1:$port/health"; do :; done
pid=$(docker inspect --format '{{.State.Pid}}' "$c")
rss_kib=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status")

# One HEALTHCHECK probe as Docker runs it (`docker exec`), and the binary's own share of it.
t0=$(now_ns); docker exec "$c" /mock-idp healthcheck >/dev/null; t1=$(now_ns)
exec_ms=$(( (t1 - t0) / 1000000 ))

python3 - "$size" "$rss_kib" "$exec_ms" "$(IFS=,; echo "${dockers[*]}")" "${times[@]}" <<'PY'
import statistics, sys
size, rss_kib, exec_ms = map(int, sys.argv[1:4])
dockers = [int(t) for t in sys.argv[4].split(",")]
times = [int(t) for t in sys.argv[5:]]
print(f"image size:                          {size / 1e6:.2f} MB ({size / 2**20:.2f} MiB)")
print(f"container start -> discovery 200:    median {statistics.median(times)} ms, "
      f"min {min(times)}, max {max(times)} over {len(times)} starts (target <= 150 ms)")
print(f"  of which `docker start` returning: median {statistics.median(dockers)} ms"
      " (namespaces, network, vfs: Docker's share)")
print(f"idle RSS in the container:           {rss_kib / 1024:.1f} MiB")
print(f"one HEALTHCHECK probe (docker exec): {exec_ms} ms")
print("peers (published, not measured here): primait/localauth0 'a little over 5 MiB';"
      " no peer image can be pulled on this machine")
PY
