// StatusReads over Redis: the status view (RedisStatusViews) and the accepted
// record (RedisIdempotencyStore) of a booking read by one MGET, which both
// keys allow because they carry the same tag (one slot on a Redis Cluster).
// One native command, one round trip, shared with other calls by the
// pipeline.
//
// Thread safety: holds no state of its own; ReadAsync is one command over
// RedisAsyncCommands (status_reads.h has the contract).
#ifndef WANDERLUXE_ADAPTERS_REDIS_REDIS_STATUS_READS_H_
#define WANDERLUXE_ADAPTERS_REDIS_REDIS_STATUS_READS_H_

#include <string>

#include "adapters/redis/redis_commands.h"
#include "wanderluxe/ports/status_reads.h"

namespace wanderluxe {

class RedisStatusReads final : public StatusReads {
 public:
  // `async` must outlive the reader.
  explicit RedisStatusReads(RedisAsyncCommands& async) : async_(async) {}

  void ReadAsync(const std::string& booking_id, StatusReadCallback done) override;

 private:
  RedisAsyncCommands& async_;
};

}  // namespace wanderluxe

#endif  // WANDERLUXE_ADAPTERS_REDIS_REDIS_STATUS_READS_H_
