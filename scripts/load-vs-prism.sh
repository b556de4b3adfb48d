#!/usr/bin/env bash
# Simulator (vt4g-sandbox) vs Stoplight Prism mocking openapi/effective/unified-api-1.1.3.yaml:
# pay + capture pairs at concurrency 64 on loopback, same load generator, same machine.
#
#   scripts/load-vs-prism.sh            # 10 s per target after a 10 s warm-up each
#   DURATION=30 CONCURRENCY=64 scripts/load-vs-prism.sh
#
# Needs node/npm (Prism is installed from scripts/prism/package-lock.json into
# scripts/prism/node_modules on first run) and a Rust toolchain. Only 127.0.0.1 is used.
# Prints both reports and the ratio of API requests/s (simulator / Prism).
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10}
WARMUP=${WARMUP:-10} # Prism (Node) is several times slower until its JIT has warmed up
CONCURRENCY=${CONCURRENCY:-64}
PRISM_PORT=${PRISM_PORT:-4010}
SIM_PORT=${SIM_PORT:-4011}

if [ ! -x scripts/prism/node_modules/.bin/prism ]; then
  (cd scripts/prism && npm ci --no-audit --no-fund)
fi
cargo build --release --example loadgen
LOADGEN=target/release/examples/loadgen

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

scripts/prism/node_modules/.bin/prism mock -h 127.0.0.1 -p "$PRISM_PORT" \
  openapi/effective/unified-api-1.1.3.yaml >/tmp/vt4g-prism.log 2>&1 &
pids+=($!)
"$LOADGEN" serve --addr "127.0.0.1:$SIM_PORT" >/tmp/vt4g-sim.log 2>&1 &
pids+=($!)

wait_port() {
  for _ in $(seq 1 120); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.5
  done
  echo "nothing listening on 127.0.0.1:$1" >&2
  return 1
}
wait_port "$PRISM_PORT"
wait_port "$SIM_PORT"

SIM_URL="http://127.0.0.1:$SIM_PORT/fep/command"
PRISM_URL="http://127.0.0.1:$PRISM_PORT" # Prism mounts the operations at the root (/pay)

echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); load average before the run: $(cut -d' ' -f1-3 /proc/loadavg)"
for target in prism sim; do
  url=$PRISM_URL; [ "$target" = sim ] && url=$SIM_URL
  "$LOADGEN" run --base-url "$url" --concurrency "$CONCURRENCY" --duration "$WARMUP" --label "$target-warmup" >/dev/null
done

"$LOADGEN" run --base-url "$PRISM_URL" --concurrency "$CONCURRENCY" --duration "$DURATION" --label prism | tee /tmp/vt4g-load-prism.txt
echo
"$LOADGEN" run --base-url "$SIM_URL" --concurrency "$CONCURRENCY" --duration "$DURATION" --label vt4g-sandbox | tee /tmp/vt4g-load-sim.txt
echo

rate() { grep '^JSON ' "$1" | sed 's/^JSON //' | python3 -c 'import json,sys; print(json.load(sys.stdin)["apiRequestsPerSec"])'; }
http_rate() { grep '^JSON ' "$1" | sed 's/^JSON //' | python3 -c 'import json,sys; d=json.load(sys.stdin); print((d["apiRequests"]+d["consumerSteps"])/d["elapsedSecs"])'; }
p=$(rate /tmp/vt4g-load-prism.txt)
s=$(rate /tmp/vt4g-load-sim.txt)
python3 -c "import sys; p,s=float(sys.argv[1]),float(sys.argv[2]); print(f'API requests/s (pay+capture): simulator {s:.0f}, Prism {p:.0f}, ratio {s/p:.1f}x (goal >= 10x)')" "$p" "$s"
hs=$(http_rate /tmp/vt4g-load-sim.txt)
python3 -c "import sys; p,s=float(sys.argv[1]),float(sys.argv[2]); print(f'all HTTP requests/s (simulator also serves the consumer step): simulator {s:.0f}, Prism {p:.0f}, ratio {s/p:.1f}x')" "$p" "$hs"

# Cross-check with wrk (C, much cheaper per request than the Rust load generator):
# pay only, a fresh paymentId per request (scripts/wrk-pay.lua).
if command -v wrk >/dev/null; then
  echo
  echo "== wrk, pay only, 2 threads, $CONCURRENCY connections, ${DURATION}s"
  wrk -t2 -c"$CONCURRENCY" -d"${DURATION}s" -s scripts/wrk-pay.lua "$PRISM_URL" | tee /tmp/vt4g-wrk-prism.txt
  wrk -t2 -c"$CONCURRENCY" -d"${DURATION}s" -s scripts/wrk-pay.lua "$SIM_URL" | tee /tmp/vt4g-wrk-sim.txt
  wp=$(awk '/^Requests\/sec/ {print $2}' /tmp/vt4g-wrk-prism.txt)
  ws=$(awk '/^Requests\/sec/ {print $2}' /tmp/vt4g-wrk-sim.txt)
  python3 -c "import sys; p,s=float(sys.argv[1]),float(sys.argv[2]); print(f'wrk pay requests/s: simulator {s:.0f}, Prism {p:.0f}, ratio {s/p:.1f}x')" "$wp" "$ws"
fi
