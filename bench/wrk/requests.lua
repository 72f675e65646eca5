-- Cycle through prepared requests (one per line: METHOD \t PATH \t TOKEN \t BODY) and
-- print a JSON summary that bench/harness.py reads. Without VOICE_REQUESTS, every
-- request is a GET of the URL given to wrk.
--
-- With VOICE_THREADS=T, thread t (1..T) sends prepared requests t, t+T, t+2T, ... so no
-- two threads send the same request at the same moment (a one-time token is used once).
-- Every answer of 400 or more counts as an error; 4xx and 5xx are also counted apart.
local prepared = {}
local counter = 0
local stride = 1
local errors = 0
local client_errors = 0
local server_errors = 0
local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("id", #threads)
end

local function split(line)
  local parts = {}
  for part in (line .. "\t"):gmatch("([^\t]*)\t") do table.insert(parts, part) end
  return parts
end

function init(args)
  local file_name = os.getenv("VOICE_REQUESTS")
  if file_name then
    for line in io.lines(file_name) do
      local parts = split(line)
      local headers = { ["Content-Type"] = "application/json" }
      if parts[3] ~= nil and parts[3] ~= "" then headers["Authorization"] = "Bearer " .. parts[3] end
      local body = parts[4]
      if body == "" then body = nil end
      table.insert(prepared, wrk.format(parts[1], parts[2], headers, body))
    end
  end
  stride = tonumber(os.getenv("VOICE_THREADS") or "1")
  counter = (id or 1) - 1 - stride
end

function request()
  if #prepared == 0 then return wrk.request() end
  counter = counter + stride
  return prepared[(counter % #prepared) + 1]
end

function response(status, headers, body)
  if status >= 400 then
    errors = errors + 1
    if status >= 500 then server_errors = server_errors + 1 else client_errors = client_errors + 1 end
  end
end

function done(summary, latency, requests)
  local failed, c4, c5 = 0, 0, 0
  for _, thread in ipairs(threads) do
    failed = failed + (thread:get("errors") or 0)
    c4 = c4 + (thread:get("client_errors") or 0)
    c5 = c5 + (thread:get("server_errors") or 0)
  end
  local socket = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.timeout
  io.write(string.format(
    'VOICE_JSON {"requests": %d, "duration_us": %d, "errors": %d, "http4xx": %d, ' ..
    '"http5xx": %d, "socket": %d, "p50": %d, "p95": %d, "p99": %d}\n',
    summary.requests, summary.duration, failed + socket, c4, c5, socket,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
