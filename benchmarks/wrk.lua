-- wrk script of the benchmark suite: optional random ids, then one JSON line of figures.
-- Script arguments (after `--`): none for a fixed path, or PREFIX COUNT to request
-- PREFIX .. random(1, COUNT) on every request.
local prefix = nil
local count = 0

function init(args)
  if #args >= 2 then
    prefix = args[1]
    count = tonumber(args[2])
  end
end

function request()
  if prefix ~= nil then
    return wrk.format(nil, prefix .. math.random(1, count))
  end
  return wrk.format(nil)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK-JSON {"requests":%d,"duration_us":%d,"bytes":%d,"connect":%d,"read":%d,' ..
    '"write":%d,"status":%d,"timeout":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,' ..
    '"max_us":%d,"mean_us":%.1f}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write,
    e.status, e.timeout, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, latency.mean))
end
