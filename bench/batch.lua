-- 500 api_call events per request, unique event_ids. PS_KEY holds the API key.
wrk.method = "POST"
wrk.path = "/api/v1/ingestion/events/batch"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-API-Key"] = os.getenv("PS_KEY") or ""

local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

local n = 0
local run = os.getenv("PS_RUN") or "run"
local size = tonumber(os.getenv("PS_BATCH") or "500")
function request()
  n = n + 1
  local parts = {}
  for i = 1, size do
    parts[i] = '{"event_id":"' .. run .. "-b" .. tid .. "-" .. n .. "-" .. i ..
      '","event_type":"api_call","source":"bench","endpoint":"/v1/orders/{id}","method":"GET","status_code":200,"response_time_ms":' ..
      (i % 400) .. '}'
  end
  return wrk.format(nil, nil, nil, '{"events":[' .. table.concat(parts, ",") .. ']}')
end
