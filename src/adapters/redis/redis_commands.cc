#include "adapters/redis/redis_commands.h"

namespace wanderluxe {

std::string TaggedId(const std::string& tag_pattern, const std::string& id) {
  std::string tag = tag_pattern;
  const size_t at = tag.find("%s");
  if (at != std::string::npos) tag.replace(at, 2, id);
  return tag;
}

Status ScanInto(const std::function<Result<RedisReply>(const std::vector<std::string>&)>& send,
                const std::string& pattern, std::vector<std::string>* keys) {
  std::string cursor = "0";
  do {
    auto reply = send({"SCAN", cursor, "MATCH", pattern, "COUNT", std::to_string(kRedisScanCount)});
    if (!reply.ok()) return reply.status();
    if (reply->elements.size() != 2) return Status::Internal("redis SCAN: unexpected reply shape");
    cursor = reply->elements[0].text;
    for (const RedisReply& key : reply->elements[1].elements) keys->push_back(key.text);
  } while (cursor != "0");
  return Status::Ok();
}

}  // namespace wanderluxe
