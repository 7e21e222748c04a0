// hiredis's reply as our RedisReply: one conversion for the blocking client
// and the pipeline. Error replies are not converted here; callers turn them
// into a Status first.
#ifndef WANDERLUXE_ADAPTERS_REDIS_REDIS_REPLY_H_
#define WANDERLUXE_ADAPTERS_REDIS_REDIS_REPLY_H_

#include <hiredis/hiredis.h>

#include "adapters/redis/redis_client.h"

namespace wanderluxe {

RedisReply ConvertReply(const redisReply* reply);

}  // namespace wanderluxe

#endif  // WANDERLUXE_ADAPTERS_REDIS_REDIS_REPLY_H_
