-- execute.lua — wrk script of scripts/load.sh: POSTs one /v1/execute body (the file named
-- by NEXUS_LOAD_BODY) on every request, counts answers that are not HTTP 200 with a
-- result whose status is "success", and prints the figures as one line of key=value.
local body_path = os.getenv("NEXUS_LOAD_BODY")
local f = assert(io.open(body_path, "rb"), "cannot read NEXUS_LOAD_BODY " .. tostring(body_path))
local body = f:read("*a")
f:close()

local threads = {}

function setup(thread)
    table.insert(threads, thread)
end

function init(args)
    failed = 0
    req = wrk.format("POST", "/v1/execute", {["Content-Type"] = "application/json"}, body)
end

function request()
    return req
end

function response(status, headers, resp_body)
    if status ~= 200 or not string.find(resp_body, '"status":"success"', 1, true) then
        failed = failed + 1
    end
end

function done(summary, latency, requests)
    local not_success = 0
    for _, t in ipairs(threads) do
        not_success = not_success + t:get("failed")
    end
    local e = summary.errors
    local seconds = summary.duration / 1e6
    io.write(string.format(
        "requests=%d seconds=%.2f rps=%.1f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f " ..
        "socket_errors=%d non_2xx=%d not_success=%d\n",
        summary.requests, seconds, summary.requests / seconds,
        latency:percentile(50) / 1000, latency:percentile(90) / 1000,
        latency:percentile(99) / 1000, latency.max / 1000,
        e.connect + e.read + e.write + e.timeout, e.status, not_success))
end
