// StatusViews over Redis: one string per booking, `status-view:<tag>`
// (RedisConfig::property_tag applied to the bookingId, as the accepted record
// `accepted:<tag>` is), holding "<version>␞<terminal 0|1>␞<clientId>␞<body>"
// (␞ = 0x1E), with a TTL of redis.status_view_ttl_s from its last write.
// A string with a small header, not a hash, so the gateway reads the view and
// the accepted record of a booking with one native MGET (both keys share the
// booking's tag, so one slot on a Redis Cluster): no script call on the read
// path, which is the hot one. Put is one Lua script: it compares the stored
// version with the new one and writes only a higher one, so racing writers
// leave the newest; run replicated (EvalReplicated), since a view written
// before an outcome is published must survive a failover.
//
// Thread safety: holds no state of its own; every call is one command or
// script over RedisCommands (status_views.h has the contract).
#ifndef WANDERLUXE_ADAPTERS_REDIS_REDIS_STATUS_VIEWS_H_
#define WANDERLUXE_ADAPTERS_REDIS_REDIS_STATUS_VIEWS_H_

#include <optional>
#include <string>
#include <vector>

#include "adapters/redis/redis_commands.h"
#include "wanderluxe/ports/status_views.h"

namespace wanderluxe {

class RedisStatusViews final : public StatusViews {
 public:
  // `redis` (and `async`, when given) must outlive the store. With `async`,
  // PutMany sends its scripts down the pipeline at once and waits for them
  // all: one round trip for a batch's views, not one per view.
  explicit RedisStatusViews(RedisCommands& redis, RedisAsyncCommands* async = nullptr)
      : redis_(redis), async_(async) {}

  // kInvalidArgument for a clientId holding 0x1E (it would split the header).
  Status Put(const StatusView& view) override;
  Status PutMany(const std::vector<StatusView>& views) override;
  Result<std::optional<StatusView>> Get(const std::string& booking_id) override;

  static std::string Key(const RedisConfig& config, const std::string& booking_id);
  // A stored view back; kInternal naming `key` when it cannot be read.
  static Result<StatusView> Decode(const std::string& key, const std::string& booking_id,
                                   const std::string& stored);

 private:
  RedisCommands& redis_;
  RedisAsyncCommands* const async_;
};

}  // namespace wanderluxe

#endif  // WANDERLUXE_ADAPTERS_REDIS_REDIS_STATUS_VIEWS_H_
