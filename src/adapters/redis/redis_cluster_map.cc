#include "adapters/redis/redis_cluster_map.h"

#include <algorithm>
#include <charconv>

namespace wanderluxe {
namespace {

Status Malformed(const std::string& command, const std::string& why) {
  return Status::Internal("redis " + command + ": unexpected reply: " + why);
}

std::string HostOrAsked(const std::string& host, const std::string& asked_host) {
  return host.empty() || host == "?" ? asked_host : host;
}

// A RESP2 map (a flat array of name, value, ...): the value named `name`, or null.
const RedisReply* Field(const RedisReply& map, const std::string& name) {
  if (map.type != RedisReply::Type::kArray) return nullptr;
  for (size_t i = 0; i + 1 < map.elements.size(); i += 2) {
    if (map.elements[i].text == name) return &map.elements[i + 1];
  }
  return nullptr;
}

std::string TextOf(const RedisReply* r) { return r == nullptr ? std::string() : r->text; }

// A number a reply carries as an integer or as a string.
int64_t NumberOf(const RedisReply* r) {
  if (r == nullptr) return -1;
  if (r->type == RedisReply::Type::kInteger) return r->integer;
  int64_t value = -1;
  std::from_chars(r->text.data(), r->text.data() + r->text.size(), value);
  return value;
}

bool ValidRange(int64_t first, int64_t last) {
  return first >= 0 && last >= first && last < kRedisClusterSlots;
}

}  // namespace

Result<RedisEndpoint> ParseRedisEndpoint(const std::string& text, const std::string& asked_host) {
  const size_t colon = text.rfind(':');
  if (colon == std::string::npos) return Status::Internal("redis: bad endpoint '" + text + "'");
  RedisEndpoint endpoint{HostOrAsked(text.substr(0, colon), asked_host), 0};
  const std::string port = text.substr(colon + 1);
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), endpoint.port);
  if (ec != std::errc() || end != port.data() + port.size() || endpoint.port <= 0) {
    return Status::Internal("redis: bad endpoint '" + text + "'");
  }
  return endpoint;
}

int RedisSlotMap::AddMaster(const RedisEndpoint& endpoint) {
  auto it = std::find(masters.begin(), masters.end(), endpoint);
  if (it != masters.end()) return static_cast<int>(it - masters.begin());
  masters.push_back(endpoint);
  return static_cast<int>(masters.size()) - 1;
}

int RedisSlotMap::CoveredSlots() const {
  return static_cast<int>(std::count_if(owner.begin(), owner.end(), [](int o) { return o >= 0; }));
}

Result<RedisSlotMap> ParseClusterShards(const RedisReply& reply, const std::string& asked_host) {
  const std::string command = "CLUSTER SHARDS";
  if (reply.type != RedisReply::Type::kArray) return Malformed(command, "not an array");
  RedisSlotMap map;
  for (const RedisReply& shard : reply.elements) {
    const RedisReply* slots = Field(shard, "slots");
    const RedisReply* nodes = Field(shard, "nodes");
    if (slots == nullptr || nodes == nullptr || slots->elements.size() % 2 != 0) {
      return Malformed(command, "a shard without slots or nodes");
    }
    // The shard's master; an online one before one marked failed.
    const RedisReply* master = nullptr;
    for (const RedisReply& node : nodes->elements) {
      const RedisEndpoint endpoint{HostOrAsked(TextOf(Field(node, "endpoint")), asked_host),
                                   NumberOf(Field(node, "port"))};
      if (endpoint.port <= 0) return Malformed(command, "a node without a port");
      if (TextOf(Field(node, "role")) != "master") {
        map.replicas.push_back(endpoint);
        continue;
      }
      if (master == nullptr || TextOf(Field(node, "health")) == "online") master = &node;
    }
    if (slots->elements.empty()) continue;
    if (master == nullptr) return Malformed(command, "a shard with slots and no master");
    const int index = map.AddMaster({HostOrAsked(TextOf(Field(*master, "endpoint")), asked_host),
                                     NumberOf(Field(*master, "port"))});
    for (size_t i = 0; i < slots->elements.size(); i += 2) {
      const int64_t first = NumberOf(&slots->elements[i]);
      const int64_t last = NumberOf(&slots->elements[i + 1]);
      if (!ValidRange(first, last)) return Malformed(command, "a slot range out of bounds");
      std::fill(map.owner.begin() + first, map.owner.begin() + last + 1, index);
    }
  }
  return map;
}

Result<RedisSlotMap> ParseClusterSlots(const RedisReply& reply, const std::string& asked_host) {
  const std::string command = "CLUSTER SLOTS";
  if (reply.type != RedisReply::Type::kArray) return Malformed(command, "not an array");
  RedisSlotMap map;
  for (const RedisReply& range : reply.elements) {
    // [first, last, [host, port, id, ...] of the master, then one per replica]
    if (range.elements.size() < 3) return Malformed(command, "a range without a master");
    const int64_t first = NumberOf(&range.elements[0]);
    const int64_t last = NumberOf(&range.elements[1]);
    if (!ValidRange(first, last)) return Malformed(command, "a slot range out of bounds");
    for (size_t n = 2; n < range.elements.size(); ++n) {
      const RedisReply& node = range.elements[n];
      if (node.elements.size() < 2) return Malformed(command, "a node without host and port");
      const RedisEndpoint endpoint{HostOrAsked(node.elements[0].text, asked_host),
                                   NumberOf(&node.elements[1])};
      if (endpoint.port <= 0) return Malformed(command, "a node without a port");
      if (n > 2) {
        map.replicas.push_back(endpoint);
        continue;
      }
      const int index = map.AddMaster(endpoint);
      std::fill(map.owner.begin() + first, map.owner.begin() + last + 1, index);
    }
  }
  return map;
}

}  // namespace wanderluxe
