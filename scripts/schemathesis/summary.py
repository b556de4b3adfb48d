"""Totals of a Schemathesis run from its NDJSON events (scripts/schemathesis.sh).

Prints one line: test cases, checks run, checks failed (after filter_failure), and the
failures the hooks dropped. Usage: summary.py EVENTS.ndjson
"""

import json
import sys
from collections import Counter

cases = set()
statuses = Counter()
by_check = Counter()
filtered = 0
with open(sys.argv[1], encoding="utf-8") as f:
    for line in f:
        event = json.loads(line)
        finished = event.get("ScenarioFinished")
        if finished is None:
            continue
        recorder = finished["recorder"]
        cases.update(recorder.get("cases", {}))
        for checks in recorder.get("checks", {}).values():
            for check in checks:
                statuses[check["status"]] += 1
                by_check[check["name"]] += 1
        filtered += sum((recorder.get("filtered_failures") or {}).values())
total = sum(statuses.values())
print(
    f"schemathesis totals: {len(cases)} test cases, {total} checks "
    f"({statuses.get('success', 0)} passed, {statuses.get('failure', 0)} failed, "
    f"{statuses.get('skip', 0)} skipped), {filtered} failures dropped by filter_failure; "
    f"{len(by_check)} distinct checks: {', '.join(sorted(by_check))}"
)
