-- wrk script: POST {path}/pay with a fresh paymentId per request (PayPay, 1000 JPY, sandbox),
-- so the simulator does the same work as for a real new order and Prism validates a real body.
--   wrk -t2 -c64 -d10s -s scripts/wrk-pay.lua http://127.0.0.1:4011/fep/command   (simulator)
--   wrk -t2 -c64 -d10s -s scripts/wrk-pay.lua http://127.0.0.1:4010               (Prism)
local counter = 0
local prefix = ""

function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
end

function init(args)
  prefix = string.format("wrk-%d-%d-", os.time(), tid or 0)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer sandbox-token"
  base = wrk.path
  if base == "/" then base = "" end
end

local n = 0
function request()
  n = n + 1
  local body = string.format(
    '{"order":{"payType":"paypay","paymentId":"%s%d","amount":"1000"},' ..
    '"control":{"requestMode":"sandbox","successUrl":"https://merchant.example/success",' ..
    '"cancelUrl":"https://merchant.example/cancel","errorUrl":"https://merchant.example/error"}}',
    prefix, n)
  return wrk.format(nil, base .. "/pay", nil, body)
end
-- wrk prints "Non-2xx or 3xx responses: N" itself when there are any.
