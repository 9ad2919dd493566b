-- One api_call event per request, each with a unique event_id so every
-- request is a real acceptance (not a duplicate). PS_KEY holds the API key.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-API-Key"] = os.getenv("PS_KEY") or ""

local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

local n = 0
local run = os.getenv("PS_RUN") or "run"
function request()
  n = n + 1
  local body = '{"event_id":"' .. run .. "-" .. tid .. "-" .. n ..
    '","event_type":"api_call","source":"bench","endpoint":"/v1/orders/{id}","method":"GET","status_code":' ..
    (n % 50 == 0 and 503 or 200) .. ',"response_time_ms":' .. (n % 400) + 0.5 ..
    ',"tags":{"region":"eu"}}'
  return wrk.format(nil, nil, nil, body)
end
