-- wrk script for tail.sh: POSTs the body in CC_BODY (with CC_KEY as the bearer key when set) and prints one line of
-- latency percentiles and status counts when the run ends.
local file = assert(io.open(os.getenv("CC_BODY"), "rb"))
wrk.method = "POST"
wrk.body = file:read("*a")
file:close()
wrk.headers["Content-Type"] = "application/json"
if (os.getenv("CC_KEY") or "") ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. os.getenv("CC_KEY")
end

function done(summary, latency, requests)
  local bad = summary.errors.status
  local socket = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format("requests=%d rps=%.1f p50_ms=%.3f p99_ms=%.3f p999_ms=%.3f max_ms=%.3f bad_status=%d sock_errors=%d\n",
    summary.requests, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency:percentile(99.9) / 1000, latency.max / 1000,
    bad, socket))
end
