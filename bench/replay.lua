-- wrk script: replay precomputed signed webhook requests in turn; print one JSON line at the end.
-- Usage: wrk ... -s bench/replay.lua URL -- REQUESTS.lua   (REQUESTS.lua returns {{path, body, signature}, ...})

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  local list = dofile(args[1])
  prepared, bad, next_index = {}, 0, 1
  for i, r in ipairs(list) do
    -- Formatted once: the load generator shares the two cores with the servers.
    prepared[i] = wrk.format("POST", r[1], {
      ["Content-Type"] = "application/x-www-form-urlencoded",
      ["X-Twilio-Signature"] = r[3],
    }, r[2])
  end
end

function request()
  local r = prepared[next_index]
  next_index = next_index % #prepared + 1
  return r
end

function response(status, headers, body)
  -- wrk itself counts only statuses above 399; a redirect is no answer for Twilio either.
  if status < 200 or status > 299 then bad = bad + 1 end
end

function done(summary, latency, requests)
  local non2xx = 0
  for _, thread in ipairs(threads) do non2xx = non2xx + thread:get("bad") end
  local e = summary.errors
  -- The latency distribution at every half percent, 99.9 and 100 (bench/load.py QUANTILES): the
  -- short rounds of one level merge into one distribution.
  local q = {}
  for i = 1, 199 do q[#q + 1] = latency:percentile(i / 2) end
  q[#q + 1] = latency:percentile(99.9)
  q[#q + 1] = latency.max
  io.write(string.format(
    'BENCH {"requests": %d, "duration_us": %d, "bytes": %d, "non2xx": %d, "connect": %d, "read": %d, "write": %d, "timeout": %d, ' ..
    '"p50_us": %d, "p95_us": %d, "p99_us": %d, "max_us": %d, "mean_us": %.1f, "quantiles": [%s]}\n',
    summary.requests, summary.duration, summary.bytes, non2xx, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max, latency.mean,
    table.concat(q, ",")))
end
