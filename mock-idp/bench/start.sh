#!/usr/bin/env bash
# What a test pays for its mock, side by side with wiremock: start -> one GET -> drop, in the
# debug profile (as tests run), RUNS processes of each mock, alternating, each running its mock
# alone for ROUNDS rounds. Not a test: it prints numbers (mock-idp/examples/start_cost.rs).
# Loopback only, bounded.
#
#   mock-idp/bench/start.sh                 # 1000 rounds, 5 processes of each
#   ROUNDS=200 RUNS=9 mock-idp/bench/start.sh
#   INTERLEAVED=1 mock-idp/bench/start.sh   # and both mocks' rounds alternating in one process
#   CALLGRIND=1 mock-idp/bench/start.sh     # and instructions per round, each mock alone
#
# Wall-clock on a shared machine is noisy; instruction counts are not. With CALLGRIND=1 each
# mock runs alone under valgrind's callgrind for 1 round and for ROUNDS + 1 rounds: the
# difference over ROUNDS is what one more round costs (both threads, client and server),
# without the process's start, the first round and the shared client's setup.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
rounds="${ROUNDS:-1000}"
export RUNS="${RUNS:-5}"
target="${CARGO_TARGET_DIR:-$root/target}"
bin="$target/debug/examples/start_cost"
cargo build --quiet -p mock-idp --example start_cost
"$bin" "$rounds"
if [ "${INTERLEAVED:-0}" = 1 ]; then
  echo
  "$bin" "$rounds" interleaved
fi
if [ "${CALLGRIND:-0}" = 1 ]; then
  out="$(mktemp -d)"
  trap 'rm -rf "$out"' EXIT
  instructions() { # who rounds
    valgrind --tool=callgrind --callgrind-out-file="$out/$1-$2.out" "$bin" "$2" "$1" 2>&1 \
      | sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
  }
  declare -A per_round
  for who in mock-idp wiremock; do
    one="$(instructions "$who" 1)"
    many="$(instructions "$who" $((rounds + 1)))"
    per_round[$who]=$(( (many - one) / rounds ))
    echo "$who: ${per_round[$who]} instructions per round (callgrind, $rounds rounds)"
  done
  awk -v ours="${per_round[mock-idp]}" -v theirs="${per_round[wiremock]}" 'BEGIN {
    printf "instructions MockIdp / wiremock: %.2f (target <= 1); wiremock / MockIdp: %.2f\n", ours / theirs, theirs / ours
  }'
fi
