#!/usr/bin/env bash
# Schemathesis against the simulator: every check (`--checks all`), bounded examples and a
# fixed seed, against `vt4g sandbox serve` on 127.0.0.1 with the effective OpenAPI document.
# Exit status: Schemathesis's (non-zero on any failure), or 2 when the simulator does not start.
#
#   scripts/schemathesis.sh                          # build the CLI, make a venv, run
#   VT4G_PYTHON=/path/venv/bin/python scripts/schemathesis.sh   # reuse a Python with deps
#   ST_MAX_EXAMPLES=200 ST_SEED=7 scripts/schemathesis.sh       # a longer or other run
#
# The hooks (scripts/schemathesis/hooks.py) set control.requestMode=sandbox on positive pay and
# subscribe cases (the environment rule no schema can state) and drop only the "schema-valid
# request rejected" failures whose 400 did not come from the simulator's format check (state
# and per-provider rules); the dropped ones are summarised at the end.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

doc="${ST_DOCUMENT:-}"
if [ -z "$doc" ]; then
    for d in openapi/effective/unified-api-1.1.3.yaml openapi/unified-api-1.1.3.yaml; do
        if [ -f "$d" ]; then doc="$d"; break; fi
    done
fi
max_examples="${ST_MAX_EXAMPLES:-50}"
seed="${ST_SEED:-20261205}"
phases="${ST_PHASES:-examples,coverage,fuzzing,stateful}"

scratch="$(mktemp -d "${TMPDIR:-/tmp}/vt4g-st.XXXXXX")"
server_pid=""
cleanup() {
    if [ -n "$server_pid" ]; then
        kill -TERM "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$scratch"
}
trap cleanup EXIT

# Python with Schemathesis: the caller's, or a venv made here (pip --target without venv).
py="${VT4G_PYTHON:-}"
py_env=()
if [ -z "$py" ] || ! "$py" -c 'import schemathesis' >/dev/null 2>&1; then
    req="scripts/schemathesis/requirements.txt"
    if [ -n "$py" ]; then
        "$py" -m pip install --quiet --disable-pip-version-check -r "$req"
    elif python3 -m venv "$scratch/venv" >/dev/null 2>&1; then
        "$scratch/venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req"
        py="$scratch/venv/bin/python"
    else
        echo "python3 -m venv unavailable; installing with pip --target"
        PIP_BREAK_SYSTEM_PACKAGES=1 python3 -m pip install --quiet --disable-pip-version-check \
            --target "$scratch/lib" -r "$req"
        py=python3
        py_env=(env "PYTHONPATH=$scratch/lib")
    fi
fi

py_plain=python3 # the summary needs only the standard library

cargo build --quiet -p vt4g-cli
bin="${CARGO_TARGET_DIR:-target}/debug/vt4g"

# The simulator with its public test credentials (never a real secret); port 0 = any free port.
env -u VT_TOKEN -u VT_MERCHANT_CCID -u VT_MERCHANT_KEY \
    "$bin" sandbox serve --addr 127.0.0.1:0 >"$scratch/server.out" 2>"$scratch/server.err" &
server_pid=$!
base=""
for _ in $(seq 1 100); do
    base="$(sed -n 's/^listening on \(http:\/\/[0-9.:]*\).*/\1/p' "$scratch/server.out")"
    [ -n "$base" ] && break
    if ! kill -0 "$server_pid" 2>/dev/null; then break; fi
    sleep 0.1
done
if [ -z "$base" ]; then
    echo "the simulator did not start:" >&2
    cat "$scratch/server.err" >&2
    exit 2
fi
token="sandbox-token" # vt4g_sandbox::DEFAULT_BEARER_TOKEN, a public test value

echo "document: $doc; simulator: $base/fep/command; examples: $max_examples; seed: $seed; phases: $phases"
dropped="$scratch/dropped.tsv"
: >"$dropped"
status=0
(cd "$scratch" && VT4G_ST_DROPPED="$dropped" SCHEMATHESIS_HOOKS="$OLDPWD/scripts/schemathesis/hooks.py" \
    ${py_env[@]+"${py_env[@]}"} "$py" -m schemathesis.cli run "$OLDPWD/$doc" \
    --url "$base/fep/command" -H "Authorization: Bearer $token" \
    --checks all --phases "$phases" --max-examples "$max_examples" --seed "$seed" \
    --workers 1 --no-color --continue-on-failure \
    --report ndjson --report-ndjson-path "$scratch/events.ndjson") || status=$?

"$py_plain" scripts/schemathesis/summary.py "$scratch/events.ndjson" || true
n_dropped=$(wc -l <"$dropped")
echo "positive cases answered 400 by a state or per-provider rule (not the format check): $n_dropped"
if [ "$n_dropped" -gt 0 ]; then
    awk -F'\t' '{gsub(/[0-9][0-9][0-9]+/, "N", $3); print $1 "  " $2 "  " $3}' "$dropped" | sort | uniq -c | sort -rn
fi
exit "$status"
