-- Appended to every script bench/run.py gives wrk: numbers each thread (the global `tid`, from 1) and,
-- at the end, prints one line "BENCH {json}" with the figures run.py reads.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

function done(summary, latency, requests)
  local statuses = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses") or {}) do
      statuses[status] = (statuses[status] or 0) + n
    end
  end
  local counted = {}
  for status, n in pairs(statuses) do
    table.insert(counted, string.format('"%d": %d', status, n))
  end
  local errors = summary.errors
  io.write(string.format(
    'BENCH {"requests": %d, "duration_us": %d, "bytes": %d, "p50_us": %d, "p99_us": %d, "max_us": %d, ' ..
    '"non_2xx_3xx": %d, "socket_errors": %d, "timeouts": %d, "statuses": {%s}}\n',
    summary.requests, summary.duration, summary.bytes, latency:percentile(50), latency:percentile(99),
    latency.max, errors.status, errors.connect + errors.read + errors.write, errors.timeout,
    table.concat(counted, ", ")))
end
