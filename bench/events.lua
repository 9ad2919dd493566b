-- wrk script for `npm run bench`. Every event has a unique event_id, so every
-- request is a real acceptance, never a duplicate.
--   PS_KEY    the API key
--   PS_RUN    a prefix that keeps ids unique across runs
--   PS_BATCH  events per request; unset or 0 sends single events
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
local size = tonumber(os.getenv("PS_BATCH") or "0")

local function event(id, i)
  return '{"event_id":"' .. id .. '","event_type":"api_call","source":"bench","endpoint":"/v1/orders/{id}",' ..
    '"method":"GET","status_code":' .. (i % 50 == 0 and 503 or 200) .. ',"response_time_ms":' .. (i % 400) + 0.5 ..
    ',"tags":{"region":"eu"}}'
end

function request()
  n = n + 1
  if size == 0 then
    return wrk.format(nil, nil, nil, event(run .. "-" .. tid .. "-" .. n, n))
  end
  local parts = {}
  for i = 1, size do
    parts[i] = event(run .. "-" .. tid .. "-" .. n .. "-" .. i, i)
  end
  return wrk.format(nil, nil, nil, '{"events":[' .. table.concat(parts, ",") .. ']}')
end
