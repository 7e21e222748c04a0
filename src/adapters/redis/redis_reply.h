// hiredis's reply as our RedisReply: one conversion for the blocking clients
// and the pipeline. Error replies are not converted here; callers turn them
// into a Status first. Also the one binary-safe blocking send they share.
#ifndef WANDERLUXE_ADAPTERS_REDIS_REDIS_REPLY_H_
#define WANDERLUXE_ADAPTERS_REDIS_REDIS_REPLY_H_

#include <hiredis/hiredis.h>

#include <string>
#include <vector>

#include "adapters/redis/redis_client.h"

namespace wanderluxe {

RedisReply ConvertReply(const redisReply* reply);

// One command, binary-safe, on a blocking connection: its reply (the caller
// frees it), or null on an I/O error or timeout (c->errstr says which).
redisReply* SendArgv(redisContext* c, const std::vector<std::string>& argv);

}  // namespace wanderluxe

#endif  // WANDERLUXE_ADAPTERS_REDIS_REDIS_REPLY_H_
