#!/usr/bin/env bash
# Every figure of BENCHMARKS.md, in one run on one machine:
#   1. webhook verify vs bare Hmac<Sha512> on 2 KiB          (criterion, benches/webhook.rs)
#   2. validation of a full pay request vs serde_json::to_vec (criterion, benches/validation.rs)
#   3. client call vs raw reqwest on the same loopback server (criterion, benches/client.rs)
#   4. simulator vs Stoplight Prism, pay+capture at c=64      (scripts/load-vs-prism.sh)
#   5. `cargo xtask codegen --check`, warm                      (hyperfine)
# and prints the ratios. Criterion runs are bounded (--warm-up-time 1 --measurement-time 3
# by default; CRITERION_ARGS to change). Run it on an otherwise idle machine.
#
#   scripts/bench-all.sh            # everything
#   SKIP_LOAD=1 scripts/bench-all.sh
set -euo pipefail
cd "$(dirname "$0")/.."

CRITERION_ARGS=${CRITERION_ARGS:---warm-up-time 1 --measurement-time 3}

echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(uname -sr)"
echo "rustc: $(rustc --version)"
echo "commit: $(git rev-parse --short HEAD)"
echo

for b in webhook validation client; do
  # shellcheck disable=SC2086
  cargo bench -p vt4g --bench "$b" -- $CRITERION_ARGS
done

python3 - <<'EOF'
import json, os
def mean_ns(group, fn):
    p = os.path.join("target", "criterion", group, fn, "new", "estimates.json")
    try:
        with open(p) as f:
            e = json.load(f)
    except OSError:
        return None
    # criterion's headline figure: the slope of the linear-sampling fit when there is one
    est = e.get("slope") or e["mean"]
    return est["point_estimate"]
rows = [
    ("webhook verify (2 KiB) rate vs bare Hmac<Sha512>", "webhook_2KiB", "verify_signature", "bare_hmac_sha512", "rate", ">= 0.8x"),
    ("webhook verify + JSON decode rate vs bare Hmac<Sha512>", "webhook_2KiB", "verify_with_decode", "bare_hmac_sha512", "rate", "(info)"),
    ("typed validate (ValidateRequest) of a full pay request vs to_vec of it", "pay_request", "typed_validate_pay_full", "typed_to_vec", "time", "<= 0.2x"),
    ("Value validate of the same request vs to_vec of the Value", "pay_request", "validate_pay_full", "serde_json_to_vec", "time", "(info)"),
    ("vt4g Client capture time vs raw reqwest (separate loops)", "capture_loopback", "vt4g_client", "raw_reqwest", "time", "<= 1.05x"),
    ("same vs raw reqwest with the client's timeouts", "capture_loopback", "vt4g_client", "raw_reqwest_with_timeouts", "time", "(info)"),
    ("same, interleaved loop", "capture_interleaved", "vt4g_client", "raw_reqwest", "time", "<= 1.05x"),
    ("same, thread CPU time per call", "capture_cpu", "vt4g_client", "raw_reqwest", "time", "(info)"),
]
print("| figure | ours | baseline | ratio | goal |")
print("|---|---|---|---|---|")
for name, g, ours, base, kind, goal in rows:
    a, b = mean_ns(g, ours), mean_ns(g, base)
    if a is None or b is None:
        print(f"| {name} | missing | missing | - | {goal} |")
        continue
    ratio = (b / a) if kind == "rate" else (a / b)
    print(f"| {name} | {a:,.0f} ns | {b:,.0f} ns | {ratio:.3f}x | {goal} |")
EOF
echo

if [ -z "${SKIP_LOAD:-}" ]; then
  scripts/load-vs-prism.sh
  echo
fi

cargo build -p xtask --quiet
if command -v hyperfine >/dev/null; then
  hyperfine --warmup 2 --runs 10 --export-json /tmp/vt4g-hyperfine-codegen.json 'cargo xtask codegen --check'
  python3 -c "import json; r=json.load(open('/tmp/vt4g-hyperfine-codegen.json'))['results'][0]; print(f\"codegen --check warm: median {r['median']:.3f} s, min {r['min']:.3f} s, mean {r['mean']:.3f} s (goal <= 3 s)\")"
else
  # hyperfine (Debian package) is not on every machine: the same 2 warm-up + 10 timed runs.
  python3 - <<'PY'
import statistics, subprocess, time
run = lambda: subprocess.run(["cargo", "xtask", "codegen", "--check"], check=True, capture_output=True)
for _ in range(2):
    run()
ts = []
for _ in range(10):
    t = time.perf_counter(); run(); ts.append(time.perf_counter() - t)
print(f"codegen --check warm: median {statistics.median(ts):.3f} s, min {min(ts):.3f} s, mean {statistics.mean(ts):.3f} s (goal <= 3 s; timed without hyperfine)")
PY
fi
