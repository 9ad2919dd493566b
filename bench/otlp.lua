-- wrk script for the OTLP section of `npm run bench`: posts the protobuf
-- ExportTraceServiceRequest that bench/otlp-body.mjs wrote, with the first 8
-- bytes of every trace id replaced per request, so every span is a new event
-- (as events.lua makes every event new), never a duplicate.
--   PS_KEY     the API key
--   PS_BODY    the template file (protobuf)
--   PS_MARKER  the 8 bytes (hex) the template's trace ids start with
--   PS_RUN_ID  0-255, different for every run against the same tenant
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-protobuf"
wrk.headers["X-API-Key"] = os.getenv("PS_KEY") or ""

local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

local file = assert(io.open(os.getenv("PS_BODY"), "rb"))
local template = file:read("*a")
file:close()
local marker = (os.getenv("PS_MARKER") or ""):gsub("..", function(h) return string.char(tonumber(h, 16)) end)
local run = tonumber(os.getenv("PS_RUN_ID") or "0") % 256

-- The template cut at each marker: pieces at odd slots, the request's prefix at even ones,
-- so a request costs 500 table writes and one concat (events.lua builds 500 strings).
local parts = {}
local from = 1
while true do
  local at = string.find(template, marker, from, true)
  if not at then break end
  parts[#parts + 1] = template:sub(from, at - 1)
  parts[#parts + 1] = ""
  from = at + #marker
end
parts[#parts + 1] = template:sub(from)

local n = 0
function request()
  n = n + 1
  -- run, thread, then the request number in 6 bytes big-endian: unique across threads and runs.
  local b = {}
  local v = n
  for i = 6, 1, -1 do
    b[i] = v % 256
    v = math.floor(v / 256)
  end
  local prefix = string.char(run, tid, b[1], b[2], b[3], b[4], b[5], b[6])
  for i = 2, #parts - 1, 2 do
    parts[i] = prefix
  end
  return wrk.format(nil, nil, nil, table.concat(parts))
end
