-- Closed-loop POST load for run.sh: one fixed JSON body, optional extra headers, and a JSON
-- summary written at the end so bench.py reads wrk and oha results the same way.
-- Environment: BENCH_BODY (body file), BENCH_HEADERS ("Name: value|Name: value"),
--              BENCH_OUT (where the JSON summary goes).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

local body_file = assert(io.open(os.getenv("BENCH_BODY"), "rb"))
wrk.body = body_file:read("*a")
body_file:close()

for header in string.gmatch((os.getenv("BENCH_HEADERS") or "") .. "|", "([^|]*)|") do
  local name, value = string.match(header, "^%s*([^:]+):%s*(.-)%s*$")
  if name then wrk.headers[name] = value end
end

function done(summary, latency, requests)
  local e = summary.errors
  local out = assert(io.open(os.getenv("BENCH_OUT"), "w"))
  out:write(string.format(
    '{"tool":"wrk","requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"mean":%.1f,"max":%d,"p50":%d,"p90":%d,"p99":%d,"p99.9":%d}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency.max,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9)))
  out:close()
end
