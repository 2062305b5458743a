# Sourced by run.sh and tls.sh: the tools, the release binary and the pinned peer they share,
# and how the Python script that measures is run.
# Expects `root` (the workspace) and `name` (the script, for messages); sets `target`, `out`,
# `bin` (target/release/mock-idp), `oms_cli` (oauth2-mock-server's CLI) and OMS_VERSION.

OMS_VERSION=8.2.3 # the last oauth2-mock-server line that supports Node 20 (9.x needs Node 22)

target="${CARGO_TARGET_DIR:-$root/target}"
out="$target/bench"
mkdir -p "$out"

need() { command -v "$1" >/dev/null || { echo "$name: $1 is required" >&2; exit 1; }; }

bench_setup() {
  local tool
  for tool in "$@"; do need "$tool"; done

  if ! command -v wrk >/dev/null; then
    echo "$name: installing wrk (Debian package)" >&2
    local sudo=""
    [[ $(id -u) -eq 0 ]] || sudo="sudo"
    $sudo apt-get update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
  fi

  if [[ "${BENCH_SKIP_BUILD:-0}" != 1 ]]; then
    echo "$name: cargo build --release -p mock-idp" >&2
    cargo build --release -p mock-idp
  fi
  bin="$target/release/mock-idp"
  [[ -x "$bin" ]] || { echo "$name: $bin not found" >&2; exit 1; }

  local npm_dir="$out/npm"
  local pkg="$npm_dir/node_modules/oauth2-mock-server/package.json"
  if [[ ! -f "$pkg" ]] || [[ "$(node -p "require('$pkg').version")" != "$OMS_VERSION" ]]; then
    echo "$name: npm install oauth2-mock-server@$OMS_VERSION into $npm_dir" >&2
    mkdir -p "$npm_dir"
    [[ -f "$npm_dir/package.json" ]] || echo '{"private": true}' >"$npm_dir/package.json"
    (cd "$npm_dir" && npm install --no-audit --no-fund --loglevel=error \
      "oauth2-mock-server@$OMS_VERSION")
  fi
  oms_cli="$(node -p "const p=require('$pkg'); require('path').join('$npm_dir/node_modules/oauth2-mock-server', typeof p.bin === 'string' ? p.bin : p.bin['oauth2-mock-server'])")"
}

pid=""
bench_cleanup() {
  if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true # the Python script stops its servers on SIGTERM
    wait "$pid" 2>/dev/null || true
  fi
}

# Runs `python3 "$@"` and exits with its status; on exit, Ctrl-C or SIGTERM it is stopped, and
# with it every server it started.
bench_run() {
  trap bench_cleanup EXIT
  trap 'bench_cleanup; exit 130' INT
  trap 'bench_cleanup; exit 143' TERM
  python3 "$@" &
  pid=$!
  local status=0
  wait "$pid" || status=$?
  pid=""
  exit "$status"
}
