-- wrk script for bench/status.sh: GET /api/v1/bookings/{id} of one of the
-- seeded ids (STATUS_PREFIX-1 .. STATUS_PREFIX-STATUS_IDS), or, with
-- STATUS_IDS=0, of a new random id each request (unknown ids).
local prefix = os.getenv("STATUS_PREFIX") or "status-bench"
local ids = tonumber(os.getenv("STATUS_IDS") or "0")

function setup(thread)
  thread:set("seed", math.random(1, 1000000))
end

function init()
  math.randomseed(seed)
end

function request()
  local id
  if ids > 0 then
    id = prefix .. "-" .. math.random(1, ids)
  else
    id = prefix .. "-unknown-" .. math.random(1, 1000000000)
  end
  return wrk.format("GET", "/api/v1/bookings/" .. id)
end
