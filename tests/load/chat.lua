-- wrk script: POSTs one chat completion per request and counts the answers by status.
-- Environment: CC_KEY (API key), CC_BODY (path of the JSON body), CC_MAX_PER_THREAD (optional: stop after
-- that many answers per thread, so a soak ends at a request count as well as at wrk's -d limit),
-- CC_DELAY_MS (optional: pause each connection that long between requests, for a steady, lower rate),
-- CC_VARY=1 (optional: a new prompt per request, "Ticket <thread>-<n>: " before the customer's message, so no cache
-- or embedding is reused).

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("id", #threads)
end

local file = assert(io.open(os.getenv("CC_BODY"), "rb"))
wrk.method = "POST"
wrk.body = file:read("*a")
file:close()
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. (os.getenv("CC_KEY") or "")

local limit = tonumber(os.getenv("CC_MAX_PER_THREAD") or "0")
local pause = tonumber(os.getenv("CC_DELAY_MS") or "0")

if pause > 0 then
  function delay()
    return pause
  end
end

function init(args)
  ok = 0
  other = 0
  sent = 0
end

if os.getenv("CC_VARY") == "1" then
  function request()
    sent = sent + 1
    local body = wrk.body:gsub('"role":"user","content":"', '"role":"user","content":"Ticket ' .. id .. "-" .. sent .. ': ', 1)
    return wrk.format(nil, nil, nil, body)
  end
end

function response(status, headers, body)
  if status == 200 then
    ok = ok + 1
  else
    other = other + 1
  end

  if limit > 0 and ok + other >= limit then
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local answered, failed = 0, 0
  for _, thread in ipairs(threads) do
    answered = answered + thread:get("ok")
    failed = failed + thread:get("other")
  end

  io.write(string.format("RESULT status200=%d other=%d requests=%d errors=%d seconds=%.3f rps=%.1f p50_us=%d p90_us=%d p99_us=%d\n",
    answered, failed, summary.requests,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status + summary.errors.timeout,
    summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(90), latency:percentile(99)))
end
