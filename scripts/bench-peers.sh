#!/usr/bin/env bash
# Peer benchmark: mcp-egress as the `project` target of the shared harness (../shared/bench/run.sh), beside
# direct, http-mitm-proxy (hmp) and squid, all in one run on loopback. Needs root (the harness edits
# /etc/hosts between markers and removes them on exit; squid drops to user proxy) and apt for the peers.
#
# Usage: sudo scripts/bench-peers.sh [target ...]        default targets: direct hmp squid mitmproxy project
#        UPSTREAM_TRUST=wrong sudo scripts/bench-peers.sh project   negative check: every request must fail
# Env:   every harness knob passes through (ROUNDS, DURATION, COLD_HOSTS, BACKEND_PORT, OUT, INSTALL, PIN, ...;
#        see ../shared/bench/README.md). Ours: SHARED_BENCH (harness dir), BUILD=0 (use dist/ as built),
#        PROJECT_DNS=1 (resolve bench hosts through /etc/hosts + upstream.allowPrivate instead of upstream.resolve).
#
# The harness's load generator sends no proxy credentials, so the project runs the way anonymous use is
# allowed: no tools and mode: report. Its upstream trust is exactly $BENCH_UPSTREAM_CA (upstream.ca), and
# NODE_EXTRA_CA_CERTS is unset so no other trust can leak in.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# Internal mode, run by the harness through PROJECT_CMD: write the config into the fresh state dir {dir},
# then exec the proxy so it keeps the PID the harness started (and measures, and signals).
start_project() {
  local dir=$1 port=$2 backend=${BACKEND_PORT:-28443} cold=${COLD_HOSTS:-20}
  : "${BENCH_UPSTREAM_CA:?set by the harness}" "${BENCH_MITM_CA_CERT:?set by the harness}" "${BENCH_MITM_CA_KEY:?set by the harness}"
  {
    printf 'listen: "127.0.0.1:%s"\nadmin: "127.0.0.1:0"\ndataDir: "%s/state"\nmode: report\n' "$port" "$dir"
    printf 'shutdownGraceMs: 2000\nupstream:\n  ca: "%s"\n' "$BENCH_UPSTREAM_CA"
    if [[ ${PROJECT_DNS:-0} == 1 ]]; then
      printf '  allowPrivate: ["*.bench.test"]\n'
    else
      printf '  resolve:\n    "backend.bench.test:%s": "127.0.0.1:%s"\n' "$backend" "$backend"
      for ((i = 1; i <= cold; i++)); do printf '    "cold%s.bench.test:%s": "127.0.0.1:%s"\n' "$i" "$backend" "$backend"; done
    fi
    printf 'audit:\n  sinks:\n    - type: file\n      path: "%s/audit.jsonl"\n' "$dir"
  } >"$dir/config.yaml"
  unset NODE_EXTRA_CA_CERTS
  exec "$REPO/bin/mcp-egress.js" start -c "$dir/config.yaml" --ca-cert "$BENCH_MITM_CA_CERT" --ca-key "$BENCH_MITM_CA_KEY"
}

if [[ ${1:-} == --start-project ]]; then
  start_project "${2:?state dir}" "${3:?port}"
fi

SHARED_BENCH=${SHARED_BENCH:-$REPO/../shared/bench}
[[ -x $SHARED_BENCH/run.sh ]] || { echo "harness not found at $SHARED_BENCH (set SHARED_BENCH)" >&2; exit 2; }
[[ $(id -u) == 0 ]] || { echo "run as root: the harness edits /etc/hosts and runs squid as user proxy" >&2; exit 2; }

if [[ ${BUILD:-1} == 1 ]]; then
  (cd "$REPO" && npx tsc -p tsconfig.json) || { echo "build failed; fix it or run with BUILD=0 to use dist/ as it is" >&2; exit 1; }
fi
[[ -f $REPO/dist/cli/index.js ]] || { echo "dist/ is missing: run npx tsc -p tsconfig.json" >&2; exit 1; }

# The harness loads undici@7 and http-mitm-proxy@1.1.0 from $BENCH_SCRATCH/node_modules and would npm-install
# them there; the repo already has both (same versions), so link them instead of installing anything.
export BENCH_SCRATCH=${BENCH_SCRATCH:-/tmp/peer-bench}
mkdir -p "$BENCH_SCRATCH/node_modules"
for dep in undici http-mitm-proxy; do
  [[ -e $BENCH_SCRATCH/node_modules/$dep ]] || ln -s "$REPO/node_modules/$dep" "$BENCH_SCRATCH/node_modules/$dep"
done

# The project's config is written from these at start, so they must be the harness's values too.
export BACKEND_PORT=${BACKEND_PORT:-28443} COLD_HOSTS=${COLD_HOSTS:-20}
export PROJECT_CMD="exec bash $(printf '%q' "$REPO/scripts/bench-peers.sh") --start-project {dir} {port}"
(($#)) || set -- direct hmp squid mitmproxy project
exec "$SHARED_BENCH/run.sh" "$@"
