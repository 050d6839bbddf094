-- wrk script: POST /v1/orders with varied small orders. Each request carries a unique
-- reference (thread + counter) so duplicates would show up in the database afterwards.
-- With WEFT_IDEMPOTENCY=1 each request also sends that reference as its Idempotency-Key.
-- With WEFT_POOLS=1, 80 % of the orders name one of 8 pools (the others have none).
local threads = {}
local counter = 0
local thread_id = 0

function setup(thread)
    thread:set("id", #threads + 1)
    table.insert(threads, thread)
end

function init(args)
    thread_id = id
    created, other, client_errors, server_errors = 0, 0, 0, 0
    math.randomseed(os.time() + thread_id * 7919)
end

function request()
    counter = counter + 1
    local due = os.date("!%Y-%m-%d", os.time() + 86400 * math.random(5, 29))
    local pool = ""
    if os.getenv("WEFT_POOLS") == "1" and math.random() < 0.8 then
        pool = string.format(',"pool":"fr4.p%d"', math.random(1, 8))
    end
    local body = string.format(
        '{"capability":"pcb.fab","quantity":%d,"due_date":"%s","max_factories":%d,"priority":%d,"reference":"t%d-%d"%s}',
        math.random(5, 200), due, math.random(1, 4), math.random(1, 5), thread_id, counter, pool)
    local headers = {
        ["Content-Type"] = "application/json",
        ["Authorization"] = "Bearer " .. os.getenv("WEFT_KEY"),
    }
    if os.getenv("WEFT_IDEMPOTENCY") == "1" then
        headers["Idempotency-Key"] = string.format("t%d-%d", thread_id, counter)
    end
    return wrk.format("POST", "/v1/orders", headers, body)
end

function response(status, headers, body)
    if status == 201 then created = created + 1 else other = other + 1 end
    if status >= 500 then server_errors = server_errors + 1 elseif status >= 400 then client_errors = client_errors + 1 end
end

function done(summary, latency, requests)
    local c, o, e4, e5 = 0, 0, 0, 0
    for _, t in ipairs(threads) do
        c = c + t:get("created")
        o = o + t:get("other")
        e4 = e4 + t:get("client_errors")
        e5 = e5 + t:get("server_errors")
    end
    io.write(string.format("created (201): %d\nother statuses: %d (4xx: %d, 5xx: %d)\n", c, o, e4, e5))
    io.write(string.format("accepted orders/s: %.1f\n", c / (summary.duration / 1e6)))
    for _, p in ipairs({50, 90, 99}) do
        io.write(string.format("latency p%d: %.2f ms\n", p, latency:percentile(p) / 1000))
    end
end
