"""Schemathesis hooks for the run against `vt4g sandbox serve` (scripts/schemathesis.sh).

One rule of the reference depends on the environment a request is sent to, so no schema can
state it: "If 'sandbox' is set for the live environment or 'live' is set for the sandbox
environment, a check error will occur", and an unset requestMode means live (reference lines
522-532 for pay, 815-825 for subscribe). The simulator is the sandbox environment, so a
schema-valid pay or subscribe is only meaningful there with `control.requestMode: sandbox`,
just as every request needs the sandbox's bearer token (`-H Authorization`).

`before_call` sets it on positive cases only; negative cases go out as generated (the
simulator must still refuse them). Schemathesis re-validates a case a hook edited, so the
case's positive/negative classification stays true to the bytes sent.
"""

import schemathesis

SANDBOX_MODE_OPERATIONS = {"/pay", "/subscribe"}


@schemathesis.hook
def before_call(context, case, kwargs):
    if case.operation.path not in SANDBOX_MODE_OPERATIONS:
        return
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return
    body = case.body
    if isinstance(body, dict) and isinstance(body.get("control"), dict):
        body["control"]["requestMode"] = "sandbox"


# A schema-valid request the simulator answers 400 is a failure of the document (or of the
# simulator's format check) only when the format check refused it: the simulator marks those
# answers with `X-Sandbox-Rejected-By: format-check` (sandbox/src/http.rs). Its other 400
# answers apply rules the reference states outside any schema, and a positive case can
# legitimately meet them:
#   - UA-REQ-007 "API cannot be executed (internal status invalid)" and UA-REQ-006 "Request
#     time limit exceeded" (reference lines 224-225): the order exists but its state does not
#     allow the command (e.g. capture of a payment the consumer has not authorized yet);
#   - UA-REQ-001 for per-provider limits and combinations (reference lines 355-360: amount
#     digits per payType; line 1042: updateOrder not for au On-Demand orders; line 569: push
#     URLs https on 443, no private address; lines 1553-1560: the recovery window).
# Only those are dropped; every other failure of every check counts. The dropped ones are
# counted into the file named by VT4G_ST_DROPPED (one line per drop) for the summary.
import os

FORMAT_CHECK_HEADER = "x-sandbox-rejected-by"
POSITIVE_REJECTED = "Schema-valid request rejected"


def _header(response, name):
    for key, values in (response.headers or {}).items():
        if key.lower() == name:
            return values[0] if isinstance(values, list) and values else values
    return None


@schemathesis.hook
def filter_failure(context, failure, case, response):
    if getattr(failure, "title", None) != POSITIVE_REJECTED or response.status_code != 400:
        return True
    if _header(response, FORMAT_CHECK_HEADER) is not None:
        return True
    try:
        result = response.json().get("result", {})
    except Exception:
        return True
    code = result.get("resultCode")
    if code not in ("UA-REQ-001", "UA-REQ-006", "UA-REQ-007"):
        return True
    dropped = os.environ.get("VT4G_ST_DROPPED")
    if dropped:
        with open(dropped, "a", encoding="utf-8") as f:
            f.write(f"{case.operation.label}\t{code}\t{result.get('message', '')}\n")
    return False
