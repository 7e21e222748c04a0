-- wrk script: POST /api/v1/bookings with a unique Idempotency-Key and bookingId
-- per request, spread over 64 properties (64 Kafka keys).
local threads = {}

function setup(thread)
  thread:set("tid", #threads + 1)
  thread:set("nonce", os.getenv("BENCH_NONCE") or tostring(os.time()))
  table.insert(threads, thread)
end

local counter = 0

function request()
  counter = counter + 1
  local id = nonce .. "-" .. tid .. "-" .. counter
  local body = '{"bookingId":"bench-' .. id .. '","propertyId":"prop-bench-' .. (counter % 64) ..
               '","amount":5000.00,"currency":"USD"}'
  return wrk.format("POST", "/api/v1/bookings",
                    {["Content-Type"] = "application/json", ["Idempotency-Key"] = "bench-" .. id},
                    body)
end
