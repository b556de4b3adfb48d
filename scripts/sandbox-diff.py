#!/usr/bin/env python3
# Differential scenario for the simulator: runs ~2,600 requests (every provider, every
# last digit, pay/consumer/updateOrder/capture/cancel/subscribe/charge/terminate, admin
# deregister/complete, errors, idempotent replays, getTransactionResult of every
# transaction) against one simulator and prints every answer, the effect log, stats and
# webhook bodies with identifiers, tokens, times and signatures masked. Run it against two
# builds (`loadgen serve --addr 127.0.0.1:PORT`, bearer token sandbox-token) and diff:
#   python3 scripts/sandbox-diff.py http://127.0.0.1:4311 > a.out; ... 4312 > b.out; diff a.out b.out
# Only 127.0.0.1; webhooks go to 127.0.0.1:9 (refused; the records are compared).
import json, re, sys, urllib.request, urllib.error
base = sys.argv[1]  # http://127.0.0.1:PORT
TOK = "sandbox-token"
out = []
def mask(s):
    s = re.sub(r'X[0-9A-HJKMNP-TV-Z]{26}', 'XID', s)
    s = re.sub(r'[0-9A-HJKMNP-TV-Z]{26}', 'ID', s)
    s = re.sub(r'(SBX|GW)[0-9A-Z_a-z-]{1,20}"', r'\1ID"', s)
    s = re.sub(r'vAuthInfo=[^& ]+', 'vAuthInfo=SIG', s)
    s = re.sub(r'[0-9a-f]{32}', 'TOKEN', s)
    s = re.sub(r'\b20\d{12}\b', 'DT', s)
    s = re.sub(r'127\.0\.0\.1:\d+', 'HOST', s)
    s = re.sub(r'(authHash|hash|signature)=[^&"]+', r'\1=SIG', s)
    s = re.sub(r'"atUnixMs":\d+', '"atUnixMs":T', s)
    return s
class NoRedir(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *a, **k): return None
op = urllib.request.build_opener(NoRedir)
def http(method, url, body=None, headers={}):
    req = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        r = op.open(req)
        return r.status, r.read().decode(), dict(r.headers)
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(), dict(e.headers)
def call(cmd, body, key=None):
    h = {"Content-Type": "application/json", "Authorization": "Bearer " + TOK}
    if key: h["X-VT-Idempotency-Key"] = key
    st, b, _ = http("POST", f"{base}/fep/command/{cmd}", json.dumps(body).encode(), h)
    out.append(f"{cmd} {st} {mask(b)}")
    try: return json.loads(b)
    except Exception: return {}
def consumer(ans, choice=None):
    u = (ans.get("control") or {}).get("redirectUrl")
    if not u: out.append("consumer: no url"); return
    if choice: u += "?choice=" + choice
    st, b, h = http("GET", u)
    out.append(f"consumer {choice} {st} {mask(h.get('location') or h.get('Location') or '')} {mask(b)}")
def admin(path):
    st, b, _ = http("POST", base + path, b"{}", {"Content-Type": "application/json"})
    out.append(f"admin {path} {st} {mask(b)}")
def ctl(extra=None):
    c = {"requestMode": "sandbox", "successUrl": "https://m.example/s", "cancelUrl": "https://m.example/c",
         "errorUrl": "https://m.example/e", "pushUrl": "http://127.0.0.1:9/hook"}
    if extra: c.update(extra)
    return c
refs = []
def rec(a):
    f = (a.get("transaction") or {}).get("fepReferenceId")
    if f: refs.append(f)
for pt in ["paypay", "rakuten", "docomo", "au", "merpay"]:
    for d in range(10):
        amt = str(1000 + d)
        for awc in [False, True]:
            pid = f"{pt}-{d}-{int(awc)}"
            order = {"payType": pt, "paymentId": pid, "amount": amt}
            if awc: order["authCaptureType"] = "auth_with_capture"
            a = call("pay", {"order": order, "control": ctl(), "transaction": {"merchantRequestKey1": "k1"}}, key="pk-" + pid)
            rec(a)
            call("pay", {"order": order, "control": ctl()}, key="pk-" + pid)  # replay
            consumer(a)
            consumer(a)  # replayed redirect
            rec(call("updateOrder", {"order": {"paymentId": pid, "amount": str(900 + d)}, "control": {"pushUrl": "http://127.0.0.1:9/hook"}}))
            rec(call("updateOrder", {"order": {"paymentId": pid, "authExtensionType": "extend"}}))
            rec(call("capture", {"order": {"paymentId": pid, "amount": "500"}}))
            rec(call("capture", {"order": {"paymentId": pid}}))
            rec(call("cancel", {"order": {"paymentId": pid, "amount": "100"}}))
            rec(call("cancel", {"order": {"paymentId": pid}}))
            rec(call("cancel", {"order": {"paymentId": pid}}))
        # consumer choices
        b = call("pay", {"order": {"payType": pt, "paymentId": f"{pt}-ch-{d}", "amount": "1000"}, "control": ctl()})
        consumer(b, ["cancel", "failure", "redirect_error", "deny", "nope"][d % 5])
        consumer(b)
    # subscribe / charge / terminate / deregister
    for d in range(10):
        sid = f"{pt}-sub-{d}"
        so = {"payType": pt, "paymentId": sid}
        if pt == "merpay": so.update({"orderName": "sub", "description": "sub"})
        s = call("subscribe", {"order": so, "control": ctl({"deregistrationPushUrl": "http://127.0.0.1:9/dereg"}), "item": [{"name": "item"}]})
        consumer(s)
        for awc in [True, False]:
            co = {"paymentId": f"{sid}-c{int(awc)}", "originalPaymentId": sid, "amount": str(1000 + d)}
            if awc: co["authCaptureType"] = "auth_with_capture"
            prot = {"recoveryType": "recovery"} if d % 2 else {}
            body = {"order": co, "control": {"pushUrl": "http://127.0.0.1:9/hook"}}
            if prot and pt == "paypay": body["protocol"] = prot
            rec(call("charge", body))
            admin(f"/_sandbox/orders/{sid}-c{int(awc)}/complete")
            rec(call("capture", {"order": {"paymentId": f"{sid}-c{int(awc)}"}}))
            rec(call("cancel", {"order": {"paymentId": f"{sid}-c{int(awc)}", "amount": "1"}}))
        if d % 3 == 0: rec(call("terminate", {"order": {"paymentId": sid}}))
        if d % 3 == 1: admin(f"/_sandbox/orders/{sid}/deregister")
        rec(call("terminate", {"order": {"paymentId": sid}}))
# errors
call("capture", {"order": {"paymentId": "nope"}})
call("capture", {"order": {"fepOrderId": "nope"}})
call("capture", {"order": {"paymentId": "paypay-0-0"}, "control": {"pushUrl": "http://10.0.0.1/x"}})
call("pay", {"order": {"payType": "paypay", "paymentId": "paypay-0-0", "amount": "1"}, "control": ctl()})
call("pay", {"order": {"payType": "paypay", "paymentId": "big", "amount": "99999999"}, "control": ctl()})
for f in refs:
    call("getTransactionResult", {"transaction": {"fepReferenceId": f}})
for p in ["/_sandbox/effects", "/_sandbox/stats", "/_sandbox/orders/paypay-3-1", "/_sandbox/orders/rakuten-2-0"]:
    st, b, h = http("GET", base + p)
    out.append(f"GET {p} {st} {mask(b)}")
st, b, h = http("GET", base + "/_sandbox/webhooks")
for w in json.loads(b):
    out.append(f"webhook {w['url']} {w['command']} {w['paymentId']} {mask(w['body'])}")
print("\n".join(out))
