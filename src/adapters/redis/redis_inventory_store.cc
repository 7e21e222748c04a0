#include "adapters/redis/redis_inventory_store.h"

#include <charconv>

#include <spdlog/spdlog.h>

#include "wanderluxe/ids.h"

namespace wanderluxe {
namespace {

// KEYS available, holds, sold, total, waitlist; ARGV now (RFC 3339), now
// (Unix ms), waitlist max, waitlist per unit, bookingId... Decides each
// booking in the order given (first come, first served), one answer each:
// held | sold (this booking has its unit already) | waitlisted:<position> |
// reserved | soldout | over_total | unknown.
// kNoOversell: held + sold never exceeds the recorded total, so an inventory
// raised by hand (`redis-cli set` again after units sold) cannot sell a unit
// twice. A property set by hand has no total until its first reserve records
// available + held + sold: from then on the total is always known.
// The waitlist: when no unit is available but some are held (a payment may
// still fail), the booking waits in arrival order (score: arrival in Unix ms,
// kept strictly increasing) instead of being refused, while there is room.
const RedisScript kReserveBatch{"inventory-reserve-batch", R"(
-- Stock is set by hand too (redis-cli): a value DECR would refuse, or that
-- Lua would read as another number, is refused before any write, naming it.
local function refuse_unless_integer(key, value)
  if value and value ~= '0' and not string.match(value, '^%-?[1-9]%d*$') then
    return redis.error_reply(key .. ' holds "' .. value ..
      '", not an integer: set it with `wanderluxe seed`')
  end
end
local available = redis.call('GET', KEYS[1])
local refused = refuse_unless_integer(KEYS[1], available)
  or refuse_unless_integer(KEYS[4], redis.call('GET', KEYS[4]))
if refused then return refused end
local held = redis.call('HLEN', KEYS[2])
local out = held + redis.call('HLEN', KEYS[3])
local total = nil
local answers = {}
for i = 5, #ARGV do
  local id = ARGV[i]
  local answer
  local rank = redis.call('ZRANK', KEYS[5], id)
  if redis.call('HEXISTS', KEYS[2], id) == 1 then answer = 'held'
  elseif redis.call('HEXISTS', KEYS[3], id) == 1 then answer = 'sold'
  elseif rank then answer = 'waitlisted:' .. (rank + 1)
  elseif not available then answer = 'unknown'
  else
    available = tonumber(available)
    if not total then
      total = tonumber(redis.call('GET', KEYS[4]) or '')
      if not total then
        total = math.max(available, 0) + out
        redis.call('SET', KEYS[4], total)
      end
    end
    if available <= 0 then
      local waiting = redis.call('ZCARD', KEYS[5])
      local room = math.min(tonumber(ARGV[3]), tonumber(ARGV[4]) * total)
      if held > 0 and waiting < room then
        local score = tonumber(ARGV[2])
        local tail = redis.call('ZRANGE', KEYS[5], -1, -1, 'WITHSCORES')
        if tail[2] and tonumber(tail[2]) >= score then score = tonumber(tail[2]) + 1 end
        redis.call('ZADD', KEYS[5], score, id)
        answer = 'waitlisted:' .. (waiting + 1)
      else
        answer = 'soldout'
      end
    elseif out >= total then answer = 'over_total'
    else
      available = available - 1
      held = held + 1
      out = out + 1
      redis.call('DECR', KEYS[1])
      redis.call('HSET', KEYS[2], id, ARGV[1])
      answer = 'reserved'
    end
  end
  answers[#answers + 1] = answer
end
return answers
)"};

// KEYS available, holds, waitlist; ARGV bookingId, now. Only a hold that
// exists is given back: kNoUnitIdleWhileWaiting, to the head of the waitlist
// as a hold in its name if anyone waits, else to `available`.
// {0} no hold; {1} back to available; {1, bookingId} handed to that booking.
const RedisScript kRelease{"inventory-release", R"(
if redis.call('HDEL', KEYS[2], ARGV[1]) == 0 then return {0} end
local head = redis.call('ZRANGE', KEYS[3], 0, 0)
if head[1] then
  redis.call('ZREM', KEYS[3], head[1])
  redis.call('HSET', KEYS[2], head[1], ARGV[2])
  return {1, head[1]}
end
redis.call('INCR', KEYS[1])
return {1}
)"};

// KEYS holds, sold, available, waitlist; ARGV bookingId, now.
// {'sold'} | {'none'} | {'confirmed', turned away...}: once the last unit is
// sold (nothing held, nothing available) nobody can give one back, so the
// waitlist is turned away in the same step and its bookings are named.
const RedisScript kConfirm{"inventory-confirm", R"(
if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 1 then return {'sold'} end
if redis.call('HDEL', KEYS[1], ARGV[1]) == 0 then return {'none'} end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
local answer = {'confirmed'}
if redis.call('HLEN', KEYS[1]) == 0 and (tonumber(redis.call('GET', KEYS[3]) or '0') or 0) <= 0 then
  for _, id in ipairs(redis.call('ZRANGE', KEYS[4], 0, -1)) do answer[#answer + 1] = id end
  redis.call('DEL', KEYS[4])
end
return answer
)"};

// KEYS holds, sold, waitlist; ARGV bookingId, now (Unix ms), max wait (ms).
// waiting | left (waited max wait or more: removed now) | held | sold | gone.
// A score may run ahead of the clock (arrivals within one ms are kept one ms
// apart), so max wait 0, "leave now", never compares times: a waiter that
// joined in a crowd would otherwise stay on, and be handed a unit after its
// saga gave up on it.
const RedisScript kCheckWaitlist{"inventory-check-waitlist", R"(
local since = redis.call('ZSCORE', KEYS[3], ARGV[1])
if since then
  local max_wait = tonumber(ARGV[3])
  if max_wait <= 0 or tonumber(ARGV[2]) - tonumber(since) >= max_wait then
    redis.call('ZREM', KEYS[3], ARGV[1])
    return 'left'
  end
  return 'waiting'
end
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return 'held' end
if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 1 then return 'sold' end
return 'gone'
)"};

// KEYS available, holds, sold, total, waitlist. One consistent snapshot.
const RedisScript kLevels{"inventory-levels", R"(
return {redis.call('GET', KEYS[1]) or false, redis.call('HLEN', KEYS[2]),
        redis.call('HLEN', KEYS[3]), redis.call('GET', KEYS[4]) or false,
        redis.call('ZCARD', KEYS[5])}
)"};

// KEYS available, holds, sold, total, waitlist; ARGV units, force, now.
// {0} refused (units below held + sold without force) | {1, handed...}.
// kNoUnitIdleWhileWaiting: new units go first to the head of the waitlist, as
// holds in their names (the reconciler goes on with each, as with a hand-over
// whose driver died); only what is left over becomes available.
const RedisScript kSeed{"inventory-seed", R"(
local taken = redis.call('HLEN', KEYS[2]) + redis.call('HLEN', KEYS[3])
local units = tonumber(ARGV[1])
if units < taken and ARGV[2] ~= '1' then return {0} end
local free = math.max(units - taken, 0)
local answer = {1}
if free > 0 then
  local popped = redis.call('ZPOPMIN', KEYS[5], free)
  for i = 1, #popped, 2 do
    redis.call('HSET', KEYS[2], popped[i], ARGV[3])
    answer[#answer + 1] = popped[i]
    free = free - 1
  end
end
redis.call('SET', KEYS[1], free)
redis.call('SET', KEYS[4], units)
return answer
)"};

// A count as Redis stores it: the canonical decimal form INCR and DECR
// accept, nothing else ("5.0", " 5", "05" and "9.2e18" are refused).
Result<int64_t> ParseCount(const RedisReply& r, const std::string& what) {
  if (r.type == RedisReply::Type::kInteger) return r.integer;
  const std::string& t = r.text;
  int64_t value = 0;
  const auto [end, error] = std::from_chars(t.data(), t.data() + t.size(), value);
  const bool canonical =
      error == std::errc() && end == t.data() + t.size() && std::to_string(value) == t;
  if (!canonical) {
    return Status::Internal(what + " holds \"" + t +
                            "\", not an integer: set it with `wanderluxe seed`");
  }
  return value;
}

}  // namespace

InventoryKeys KeysFor(const std::string& tag_pattern, const std::string& property_id) {
  const std::string tag = TaggedId(tag_pattern, property_id);
  return {"inventory:" + tag, "holds:" + tag, "sold:" + tag, "total:" + tag, "waitlist:" + tag};
}

Result<Reservation> RedisInventoryStore::ParseReserveAnswer(const std::string& property_id,
                                                            const std::string& r) const {
  if (r == "reserved") return Reservation{ReserveOutcome::kReserved};
  if (r == "held") return Reservation{ReserveOutcome::kAlreadyHeld};
  if (r == "sold") return Reservation{ReserveOutcome::kAlreadySold};
  if (r == "soldout") return Reservation{ReserveOutcome::kSoldOut};
  if (r == "over_total") {
    // Someone raised the inventory key by hand past the seeded total: sold
    // out it is, and `verify` I2 names the drift.
    spdlog::warn(
        "{}: available > 0 but held + sold reached the recorded total; treating as "
        "sold out. Set stock with `wanderluxe seed {} <units>`, not redis-cli",
        Keys(property_id).available, property_id);
    return Reservation{ReserveOutcome::kSoldOut};
  }
  if (r == "unknown") return Reservation{ReserveOutcome::kUnknownProperty};
  constexpr std::string_view kWaitlisted = "waitlisted:";
  if (r.rfind(kWaitlisted, 0) == 0) {
    try {
      return Reservation{ReserveOutcome::kWaitlisted, std::stoll(r.substr(kWaitlisted.size()))};
    } catch (const std::exception&) {
      // falls through to the error below
    }
  }
  return Status::Internal("reserve answered '" + r + "'");
}

Result<Reservation> RedisInventoryStore::Reserve(const std::string& property_id,
                                                 const std::string& booking_id) {
  auto answers = ReserveBatch(property_id, {booking_id});
  if (!answers.ok()) return answers.status();
  return answers->front();
}

Result<std::vector<Reservation>> RedisInventoryStore::ReserveBatch(
    const std::string& property_id, const std::vector<std::string>& booking_ids) {
  if (booking_ids.empty()) return std::vector<Reservation>();
  const InventoryKeys k = Keys(property_id);
  std::vector<std::string> args;
  args.reserve(booking_ids.size() + 4);
  args.push_back(NowIso8601());
  args.push_back(std::to_string(NowUnixMillis()));
  args.push_back(std::to_string(waitlist_.max));
  args.push_back(std::to_string(waitlist_.per_unit));
  args.insert(args.end(), booking_ids.begin(), booking_ids.end());
  auto reply = redis_.EvalReplicated(kReserveBatch,
                                     {k.available, k.holds, k.sold, k.total, k.waitlist}, args);
  if (!reply.ok()) return reply.status();
  if (reply->elements.size() != booking_ids.size()) {
    return Status::Internal("reserve batch answered " + std::to_string(reply->elements.size()) +
                            " outcomes for " + std::to_string(booking_ids.size()) + " bookings");
  }
  std::vector<Reservation> outcomes;
  outcomes.reserve(booking_ids.size());
  for (const RedisReply& answer : reply->elements) {
    auto outcome = ParseReserveAnswer(property_id, answer.text);
    if (!outcome.ok()) return outcome.status();
    outcomes.push_back(*outcome);
  }
  return outcomes;
}

Result<Released> RedisInventoryStore::Release(const std::string& property_id,
                                              const std::string& booking_id) {
  const InventoryKeys k = Keys(property_id);
  auto reply = redis_.EvalReplicated(kRelease, {k.available, k.holds, k.waitlist},
                                     {booking_id, NowIso8601()});
  if (!reply.ok()) return reply.status();
  const auto& e = reply->elements;
  if (e.empty() || e.size() > 2) return Status::Internal("release: unexpected reply");
  Released released{e[0].integer == 1, e.size() == 2 ? e[1].text : ""};
  if (!released.handed_to.empty()) {
    spdlog::info("{}: the unit {} held went to {}, the head of the waitlist", property_id,
                 booking_id, released.handed_to);
  }
  return released;
}

Result<Confirmed> RedisInventoryStore::Confirm(const std::string& property_id,
                                               const std::string& booking_id) {
  const InventoryKeys k = Keys(property_id);
  auto reply = redis_.EvalReplicated(kConfirm, {k.holds, k.sold, k.available, k.waitlist},
                                     {booking_id, NowIso8601()});
  if (!reply.ok()) return reply.status();
  const auto& e = reply->elements;
  if (e.empty()) return Status::Internal("confirm: unexpected reply");
  if (e[0].text == "sold") return Confirmed{ConfirmOutcome::kAlreadySold, {}};
  if (e[0].text != "confirmed") {
    return Status::FailedPrecondition("booking " + booking_id + " holds no unit of " + property_id);
  }
  Confirmed confirmed{ConfirmOutcome::kConfirmed, {}};
  for (size_t i = 1; i < e.size(); ++i) confirmed.turned_away.push_back(e[i].text);
  return confirmed;
}

Result<WaitlistState> RedisInventoryStore::CheckWaitlist(const std::string& property_id,
                                                         const std::string& booking_id,
                                                         std::chrono::milliseconds max_wait) {
  const InventoryKeys k = Keys(property_id);
  auto reply = redis_.EvalReplicated(
      kCheckWaitlist, {k.holds, k.sold, k.waitlist},
      {booking_id, std::to_string(NowUnixMillis()), std::to_string(max_wait.count())});
  if (!reply.ok()) return reply.status();
  const std::string& r = reply->text;
  if (r == "waiting") return WaitlistState::kWaiting;
  if (r == "left") return WaitlistState::kLeft;
  if (r == "held") return WaitlistState::kHeld;
  if (r == "sold") return WaitlistState::kSold;
  if (r == "gone") return WaitlistState::kGone;
  return Status::Internal("waitlist check answered '" + r + "'");
}

Result<InventoryLevels> RedisInventoryStore::Levels(const std::string& property_id) {
  const InventoryKeys k = Keys(property_id);
  auto reply = redis_.Eval(kLevels, {k.available, k.holds, k.sold, k.total, k.waitlist}, {});
  if (!reply.ok()) return reply.status();
  const auto& e = reply->elements;
  if (e.size() != 5) return Status::Internal("levels: unexpected reply");
  if (e[0].is_nil() && e[1].integer == 0 && e[2].integer == 0) {
    return Status::NotFound("property " + property_id + " has no inventory");
  }
  InventoryLevels levels;
  if (!e[0].is_nil()) {
    auto available = ParseCount(e[0], k.available);
    if (!available.ok()) return available.status();
    levels.available = *available;
  }
  levels.held = e[1].integer;
  levels.sold = e[2].integer;
  levels.waiting = e[4].integer;
  if (!e[3].is_nil()) {
    auto total = ParseCount(e[3], k.total);
    if (!total.ok()) return total.status();
    levels.total = *total;
  }
  return levels;
}

Result<SeedResult> RedisInventoryStore::Seed(const std::string& property_id, int64_t units,
                                             bool force) {
  const InventoryKeys k = Keys(property_id);
  auto reply = redis_.EvalReplicated(kSeed, {k.available, k.holds, k.sold, k.total, k.waitlist},
                                     {std::to_string(units), force ? "1" : "0", NowIso8601()});
  if (!reply.ok()) return reply.status();
  if (reply->elements.empty()) return Status::Internal("seed: unexpected reply shape");
  SeedResult result;
  result.applied = reply->elements[0].integer == 1;
  for (size_t i = 1; i < reply->elements.size(); ++i) {
    result.handed_to.push_back(reply->elements[i].text);
  }
  auto levels = Levels(property_id);
  if (!levels.ok()) return levels.status();
  result.levels = *levels;
  return result;
}

Result<std::vector<std::string>> RedisInventoryStore::Holders(const std::string& property_id,
                                                              bool sold) {
  const InventoryKeys k = Keys(property_id);
  auto reply = redis_.Command({"HKEYS", sold ? k.sold : k.holds});
  if (!reply.ok()) return reply.status();
  std::vector<std::string> ids;
  for (const auto& e : reply->elements) ids.push_back(e.text);
  return ids;
}

Result<std::vector<std::string>> RedisInventoryStore::Waiters(const std::string& property_id) {
  auto reply = redis_.Command({"ZRANGE", Keys(property_id).waitlist, "0", "-1"});
  if (!reply.ok()) return reply.status();
  std::vector<std::string> ids;
  for (const auto& e : reply->elements) ids.push_back(e.text);
  return ids;
}

Result<std::vector<std::pair<std::string, int64_t>>> RedisInventoryStore::WaiterArrivals(
    const std::string& property_id) {
  const std::string key = Keys(property_id).waitlist;
  auto reply = redis_.Command({"ZRANGE", key, "0", "-1", "WITHSCORES"});
  if (!reply.ok()) return reply.status();
  const auto& e = reply->elements;
  if (e.size() % 2 != 0) return Status::Internal(key + ": odd ZRANGE WITHSCORES reply");
  std::vector<std::pair<std::string, int64_t>> waiters;
  for (size_t i = 0; i < e.size(); i += 2) {
    try {
      waiters.emplace_back(e[i].text, static_cast<int64_t>(std::stod(e[i + 1].text)));
    } catch (const std::exception&) {
      return Status::Internal(key + ": score '" + e[i + 1].text + "' is not a number");
    }
  }
  return waiters;
}

}  // namespace wanderluxe
