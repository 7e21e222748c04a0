#include "adapters/redis/redis_inventory_store.h"

#include <spdlog/spdlog.h>

#include "wanderluxe/ids.h"

namespace wanderluxe {
namespace {

// KEYS available, holds, sold, total; ARGV bookingId, now.
// kNoOversell: held + sold never exceeds the recorded total, so an inventory
// raised by hand (`redis-cli set` again after units sold) cannot sell a unit
// twice. A property set by hand has no total until its first reserve records
// available + held + sold: from then on the total is always known.
const RedisScript kReserve{"inventory-reserve", R"(
if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 1 then return 'held' end
if redis.call('HEXISTS', KEYS[3], ARGV[1]) == 1 then return 'sold' end
local available = redis.call('GET', KEYS[1])
if not available then return 'unknown' end
available = tonumber(available)
if not available then return redis.error_reply('inventory is not an integer') end
local out = redis.call('HLEN', KEYS[2]) + redis.call('HLEN', KEYS[3])
local total = tonumber(redis.call('GET', KEYS[4]) or '')
if not total then
  total = math.max(available, 0) + out
  redis.call('SET', KEYS[4], total)
end
if available <= 0 then return 'soldout' end
if out >= total then return 'over_total' end
redis.call('DECR', KEYS[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
return 'reserved'
)"};

// KEYS as kReserve; ARGV now, bookingId... kReserve's rules applied to each
// booking in turn, in the order given (first come, first served): one answer
// per booking, the same answer kReserve would have given it.
const RedisScript kReserveBatch{"inventory-reserve-batch", R"(
local available = redis.call('GET', KEYS[1])
local out = redis.call('HLEN', KEYS[2]) + redis.call('HLEN', KEYS[3])
local total = nil
local answers = {}
for i = 2, #ARGV do
  local id = ARGV[i]
  local answer
  if redis.call('HEXISTS', KEYS[2], id) == 1 then answer = 'held'
  elseif redis.call('HEXISTS', KEYS[3], id) == 1 then answer = 'sold'
  elseif not available then answer = 'unknown'
  else
    if not tonumber(available) then return redis.error_reply('inventory is not an integer') end
    available = tonumber(available)
    if not total then
      total = tonumber(redis.call('GET', KEYS[4]) or '')
      if not total then
        total = math.max(available, 0) + out
        redis.call('SET', KEYS[4], total)
      end
    end
    if available <= 0 then answer = 'soldout'
    elseif out >= total then answer = 'over_total'
    else
      available = available - 1
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

// KEYS available, holds; ARGV bookingId. Gives the unit back only if held.
const RedisScript kRelease{"inventory-release", R"(
if redis.call('HDEL', KEYS[2], ARGV[1]) == 1 then
  redis.call('INCR', KEYS[1])
  return 1
end
return 0
)"};

// KEYS holds, sold; ARGV bookingId, now.
const RedisScript kConfirm{"inventory-confirm", R"(
if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 1 then return 'sold' end
if redis.call('HDEL', KEYS[1], ARGV[1]) == 1 then
  redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
  return 'confirmed'
end
return 'none'
)"};

// KEYS available, holds, sold, total. One consistent snapshot.
const RedisScript kLevels{"inventory-levels", R"(
return {redis.call('GET', KEYS[1]) or false, redis.call('HLEN', KEYS[2]),
        redis.call('HLEN', KEYS[3]), redis.call('GET', KEYS[4]) or false}
)"};

// KEYS available, holds, sold, total; ARGV units, force.
const RedisScript kSeed{"inventory-seed", R"(
local taken = redis.call('HLEN', KEYS[2]) + redis.call('HLEN', KEYS[3])
local units = tonumber(ARGV[1])
if units < taken and ARGV[2] ~= '1' then return 0 end
redis.call('SET', KEYS[1], math.max(units - taken, 0))
redis.call('SET', KEYS[4], units)
return 1
)"};

Result<int64_t> ParseCount(const RedisReply& r, const std::string& what) {
  if (r.type == RedisReply::Type::kInteger) return r.integer;
  try {
    return std::stoll(r.text);
  } catch (const std::exception&) {
    return Status::Internal(what + " is not an integer: '" + r.text + "'");
  }
}

}  // namespace

InventoryKeys KeysFor(const std::string& tag_pattern, const std::string& property_id) {
  const std::string tag = TaggedId(tag_pattern, property_id);
  return {"inventory:" + tag, "holds:" + tag, "sold:" + tag, "total:" + tag};
}

Result<ReserveOutcome> RedisInventoryStore::ParseReserveAnswer(const std::string& property_id,
                                                               const std::string& r) const {
  if (r == "reserved") return ReserveOutcome::kReserved;
  if (r == "held") return ReserveOutcome::kAlreadyHeld;
  if (r == "sold") return ReserveOutcome::kAlreadySold;
  if (r == "soldout") return ReserveOutcome::kSoldOut;
  if (r == "over_total") {
    // Someone raised the inventory key by hand past the seeded total: sold
    // out it is, and `verify` I2 names the drift.
    spdlog::warn(
        "{}: available > 0 but held + sold reached the recorded total; treating as "
        "sold out. Set stock with `wanderluxe seed {} <units>`, not redis-cli",
        Keys(property_id).available, property_id);
    return ReserveOutcome::kSoldOut;
  }
  if (r == "unknown") return ReserveOutcome::kUnknownProperty;
  return Status::Internal("reserve answered '" + r + "'");
}

Result<ReserveOutcome> RedisInventoryStore::Reserve(const std::string& property_id,
                                                    const std::string& booking_id) {
  const InventoryKeys k = Keys(property_id);
  auto reply =
      redis_.Eval(kReserve, {k.available, k.holds, k.sold, k.total}, {booking_id, NowIso8601()});
  if (!reply.ok()) return reply.status();
  return ParseReserveAnswer(property_id, reply->text);
}

Result<std::vector<ReserveOutcome>> RedisInventoryStore::ReserveBatch(
    const std::string& property_id, const std::vector<std::string>& booking_ids) {
  if (booking_ids.empty()) return std::vector<ReserveOutcome>();
  const InventoryKeys k = Keys(property_id);
  std::vector<std::string> args;
  args.reserve(booking_ids.size() + 1);
  args.push_back(NowIso8601());
  args.insert(args.end(), booking_ids.begin(), booking_ids.end());
  auto reply = redis_.Eval(kReserveBatch, {k.available, k.holds, k.sold, k.total}, args);
  if (!reply.ok()) return reply.status();
  if (reply->elements.size() != booking_ids.size()) {
    return Status::Internal("reserve batch answered " + std::to_string(reply->elements.size()) +
                            " outcomes for " + std::to_string(booking_ids.size()) + " bookings");
  }
  std::vector<ReserveOutcome> outcomes;
  outcomes.reserve(booking_ids.size());
  for (const RedisReply& answer : reply->elements) {
    auto outcome = ParseReserveAnswer(property_id, answer.text);
    if (!outcome.ok()) return outcome.status();
    outcomes.push_back(*outcome);
  }
  return outcomes;
}

Result<bool> RedisInventoryStore::Release(const std::string& property_id,
                                          const std::string& booking_id) {
  const InventoryKeys k = Keys(property_id);
  auto reply = redis_.Eval(kRelease, {k.available, k.holds}, {booking_id});
  if (!reply.ok()) return reply.status();
  return reply->integer == 1;
}

Result<ConfirmOutcome> RedisInventoryStore::Confirm(const std::string& property_id,
                                                    const std::string& booking_id) {
  const InventoryKeys k = Keys(property_id);
  auto reply = redis_.Eval(kConfirm, {k.holds, k.sold}, {booking_id, NowIso8601()});
  if (!reply.ok()) return reply.status();
  if (reply->text == "confirmed") return ConfirmOutcome::kConfirmed;
  if (reply->text == "sold") return ConfirmOutcome::kAlreadySold;
  return Status::FailedPrecondition("booking " + booking_id + " holds no unit of " + property_id);
}

Result<InventoryLevels> RedisInventoryStore::Levels(const std::string& property_id) {
  const InventoryKeys k = Keys(property_id);
  auto reply = redis_.Eval(kLevels, {k.available, k.holds, k.sold, k.total}, {});
  if (!reply.ok()) return reply.status();
  const auto& e = reply->elements;
  if (e.size() != 4) return Status::Internal("levels: unexpected reply");
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
  auto reply = redis_.Eval(kSeed, {k.available, k.holds, k.sold, k.total},
                           {std::to_string(units), force ? "1" : "0"});
  if (!reply.ok()) return reply.status();
  auto levels = Levels(property_id);
  if (!levels.ok()) return levels.status();
  return SeedResult{reply->integer == 1, *levels};
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

}  // namespace wanderluxe
