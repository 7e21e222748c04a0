#include "wanderluxe/config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <functional>
#include <limits>
#include <sstream>

extern char** environ;

namespace wanderluxe {
namespace {

// One configurable key: how to set it from text and how to print it back.
struct Field {
  std::string section;
  std::string key;
  bool secret = false;
  // A URI whose user info may carry a password: only the password is secret.
  bool uri_with_credentials = false;
  std::function<Status(Config&, const std::vector<std::string>&)> set;  // scalar = one item
  std::function<std::string(const Config&)> get;
  bool is_list = false;
};

// `uri` with the password of its user info (scheme://user:password@hosts...)
// replaced by <redacted>; as it is when it has none.
std::string RedactUriPassword(const std::string& uri) {
  const size_t scheme_end = uri.find("://");
  if (scheme_end == std::string::npos) return uri;
  const size_t authority = scheme_end + 3;
  const size_t authority_end = uri.find_first_of("/?#", authority);
  const size_t at =
      uri.rfind('@', authority_end == std::string::npos ? std::string::npos : authority_end - 1);
  if (at == std::string::npos || at < authority) return uri;
  const size_t colon = uri.find(':', authority);
  if (colon == std::string::npos || colon > at) return uri;
  return uri.substr(0, colon + 1) + "<redacted>" + uri.substr(at);
}

Result<int64_t> ParseInt(const std::string& text, int64_t min, int64_t max) {
  int64_t value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end || text.empty()) {
    return Status::InvalidArgument("'" + text + "' is not an integer");
  }
  if (value < min || value > max) {
    return Status::InvalidArgument(std::to_string(value) + " is outside [" + std::to_string(min) +
                                   ", " + std::to_string(max) + "]");
  }
  return value;
}

// Double-quoted YAML scalar (JSON string syntax is valid YAML).
std::string Quote(const std::string& text) {
  std::string out = "\"";
  for (char ch : text) {
    if (ch == '"' || ch == '\\') out += '\\';
    out += ch;
  }
  return out + "\"";
}

template <typename Section>
Field Int(const char* section, const char* key, Section Config::*s, int64_t Section::*m,
          int64_t min, int64_t max) {
  Field f{section, key};
  f.set = [=](Config& c, const std::vector<std::string>& v) -> Status {
    if (v.size() != 1) return Status::InvalidArgument("expected one integer");
    auto parsed = ParseInt(v[0], min, max);
    if (!parsed.ok()) return parsed.status();
    (c.*s).*m = *parsed;
    return Status::Ok();
  };
  f.get = [=](const Config& c) { return std::to_string((c.*s).*m); };
  return f;
}

template <typename Section>
Field Str(const char* section, const char* key, Section Config::*s, std::string Section::*m,
          std::vector<std::string> allowed = {}, bool secret = false) {
  Field f{section, key, secret};
  f.set = [=](Config& c, const std::vector<std::string>& v) -> Status {
    if (v.size() != 1) return Status::InvalidArgument("expected one string");
    if (!allowed.empty() && std::find(allowed.begin(), allowed.end(), v[0]) == allowed.end()) {
      std::string list;
      for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
      return Status::InvalidArgument("'" + v[0] + "' is not one of: " + list);
    }
    (c.*s).*m = v[0];
    return Status::Ok();
  };
  f.get = [=](const Config& c) { return Quote((c.*s).*m); };
  return f;
}

template <typename Section>
Field List(const char* section, const char* key, Section Config::*s,
           std::vector<std::string> Section::*m, bool secret = false) {
  Field f{section, key, secret};
  f.is_list = true;
  f.set = [=](Config& c, const std::vector<std::string>& v) -> Status {
    for (const auto& item : v) {
      if (item.empty()) return Status::InvalidArgument("empty list item");
    }
    (c.*s).*m = v;
    return Status::Ok();
  };
  f.get = [=](const Config& c) {
    std::string out = "[";
    for (const auto& item : (c.*s).*m) out += (out.size() > 1 ? ", " : "") + Quote(item);
    return out + "]";
  };
  return f;
}

constexpr int64_t kMaxMs = 24LL * 3600 * 1000;
// Redis TTLs of records kept for guests: a year.
constexpr int64_t kMaxTtlS = 365LL * 86400;
// A waiting GET holds a connection and a waiter; an hour is past any guest's patience.
constexpr int64_t kMaxWaitS = 3600;
constexpr int64_t kMaxWaiters = 1 << 20;
constexpr int64_t kMaxRatePerS = 1'000'000;
constexpr int64_t kMaxPort = 65535;
constexpr int64_t kMaxRedisDatabase = 15;  // redis.conf's default `databases 16`
// An HMAC key shorter than this is guessable along with the keys it hides.
constexpr size_t kMinApiKeySecretBytes = 16;
// A merged script call's keys and arguments stay far below Lua's stack limits.
constexpr int64_t kMaxPipelineMerge = 4096;
// A batch is one Lua script and one bulk insert: Redis runs nothing else while
// the script runs, and a bulk past this would near MongoDB's 16 MiB message.
constexpr int64_t kMaxBatch = 10'000;
// Lingering longer only delays the first booking of a quiet partition.
constexpr int64_t kMaxBatchLingerMs = 1000;
// A Redis Cluster master with more replicas than this is not a design we test.
constexpr int64_t kMaxReplicaAcks = 5;
// The file sink keeps these ids in memory for every partition of both topics.
constexpr int64_t kMaxAuditDedupIds = 1'000'000;
constexpr int64_t kMaxAuditBatchWaitMs = 60'000;
// Each kept bank connection is a socket here and, on the bank role, a server
// thread held while it is idle.
constexpr int64_t kMaxBankPoolSize = 1024;
// The mock bank's server threads: a thread each, so within what one process runs.
constexpr int64_t kMaxBankServerThreads = 4096;

const std::vector<Field>& Fields() {
  static const std::vector<Field> fields = [] {
    using C = Config;
    std::vector<Field> f;
    // kafka
    f.push_back(Str("kafka", "brokers", &C::kafka, &KafkaConfig::brokers));
    f.push_back(Str("kafka", "client_id", &C::kafka, &KafkaConfig::client_id));
    f.push_back(Str("kafka", "requests_topic", &C::kafka, &KafkaConfig::requests_topic));
    f.push_back(Str("kafka", "outcomes_topic", &C::kafka, &KafkaConfig::outcomes_topic));
    f.push_back(Str("kafka", "dlq_topic", &C::kafka, &KafkaConfig::dlq_topic));
    f.push_back(Int("kafka", "partitions", &C::kafka, &KafkaConfig::partitions, 1, 1000));
    f.push_back(
        Int("kafka", "replication_factor", &C::kafka, &KafkaConfig::replication_factor, 1, 7));
    f.push_back(
        Int("kafka", "min_insync_replicas", &C::kafka, &KafkaConfig::min_insync_replicas, 1, 7));
    f.push_back(Int("kafka", "linger_ms", &C::kafka, &KafkaConfig::linger_ms, 0, 1000));
    f.push_back(Int("kafka", "delivery_timeout_ms", &C::kafka, &KafkaConfig::delivery_timeout_ms, 1,
                    kMaxMs));
    f.push_back(
        Int("kafka", "request_timeout_ms", &C::kafka, &KafkaConfig::request_timeout_ms, 1, kMaxMs));
    f.push_back(
        Int("kafka", "admin_timeout_ms", &C::kafka, &KafkaConfig::admin_timeout_ms, 1, kMaxMs));
    f.push_back(
        Int("kafka", "commit_timeout_ms", &C::kafka, &KafkaConfig::commit_timeout_ms, 1, kMaxMs));
    f.push_back(Int("kafka", "session_timeout_ms", &C::kafka, &KafkaConfig::session_timeout_ms,
                    1000, kMaxMs));
    f.push_back(Int("kafka", "max_poll_interval_ms", &C::kafka, &KafkaConfig::max_poll_interval_ms,
                    1000, kMaxMs));
    f.push_back(Str("kafka", "assignment_strategy", &C::kafka, &KafkaConfig::assignment_strategy,
                    {"range", "roundrobin", "cooperative-sticky"}));
    f.push_back(Str("kafka", "debug", &C::kafka, &KafkaConfig::debug));
    f.push_back(Str("kafka", "security_protocol", &C::kafka, &KafkaConfig::security_protocol,
                    {"plaintext", "ssl", "sasl_plaintext", "sasl_ssl"}));
    f.push_back(Str("kafka", "sasl_mechanism", &C::kafka, &KafkaConfig::sasl_mechanism,
                    {"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"}));
    f.push_back(Str("kafka", "sasl_username", &C::kafka, &KafkaConfig::sasl_username));
    f.push_back(Str("kafka", "sasl_password", &C::kafka, &KafkaConfig::sasl_password, {},
                    /*secret=*/true));
    f.push_back(Str("kafka", "ssl_ca_location", &C::kafka, &KafkaConfig::ssl_ca_location));
    // redis
    f.push_back(Str("redis", "mode", &C::redis, &RedisConfig::mode, {"standalone", "cluster"}));
    f.push_back(Str("redis", "host", &C::redis, &RedisConfig::host));
    f.push_back(Int("redis", "port", &C::redis, &RedisConfig::port, 1, kMaxPort));
    f.push_back(Str("redis", "username", &C::redis, &RedisConfig::username));
    f.push_back(Str("redis", "password", &C::redis, &RedisConfig::password, {}, /*secret=*/true));
    f.push_back(Int("redis", "database", &C::redis, &RedisConfig::database, 0, kMaxRedisDatabase));
    f.push_back(
        Int("redis", "connect_timeout_ms", &C::redis, &RedisConfig::connect_timeout_ms, 1, kMaxMs));
    f.push_back(
        Int("redis", "command_timeout_ms", &C::redis, &RedisConfig::command_timeout_ms, 1, kMaxMs));
    f.push_back(Int("redis", "pool_size", &C::redis, &RedisConfig::pool_size, 1, 4096));
    f.push_back(
        Int("redis", "pipeline_connections", &C::redis, &RedisConfig::pipeline_connections, 1, 64));
    f.push_back(
        Int("redis", "pipeline_queue", &C::redis, &RedisConfig::pipeline_queue, 1, 1 << 24));
    f.push_back(Int("redis", "pipeline_merge_max", &C::redis, &RedisConfig::pipeline_merge_max, 1,
                    kMaxPipelineMerge));
    f.push_back(Str("redis", "property_tag", &C::redis, &RedisConfig::property_tag));
    f.push_back(
        Int("redis", "replica_acks", &C::redis, &RedisConfig::replica_acks, 0, kMaxReplicaAcks));
    f.push_back(Int("redis", "replica_ack_timeout_ms", &C::redis,
                    &RedisConfig::replica_ack_timeout_ms, 1, kMaxMs));
    f.push_back(
        Int("redis", "status_view_ttl_s", &C::redis, &RedisConfig::status_view_ttl_s, 1, kMaxTtlS));
    // mongo
    f.push_back(Str("mongo", "uri", &C::mongo, &MongoConfig::uri));
    f.back().uri_with_credentials = true;
    f.push_back(Str("mongo", "database", &C::mongo, &MongoConfig::database));
    f.push_back(Int("mongo", "timeout_ms", &C::mongo, &MongoConfig::timeout_ms, 1, kMaxMs));
    f.push_back(Int("mongo", "pool_max", &C::mongo, &MongoConfig::pool_max, 1, 10000));
    f.push_back(Int("mongo", "ledger_shards", &C::mongo, &MongoConfig::ledger_shards, 1, 1024));
    f.push_back(Str("mongo", "ledger_lookup", &C::mongo, &MongoConfig::ledger_lookup,
                    {"in", "presence-markers"}));
    f.push_back(
        Str("mongo", "write_down", &C::mongo, &MongoConfig::write_down, {"at-end", "immediate"}));
    // gateway
    f.push_back(Str("gateway", "listen_host", &C::gateway, &GatewayConfig::listen_host));
    f.push_back(Int("gateway", "port", &C::gateway, &GatewayConfig::port, 0, kMaxPort));
    f.push_back(Int("gateway", "io_threads", &C::gateway, &GatewayConfig::io_threads, 1, 256));
    f.push_back(
        Int("gateway", "blocking_threads", &C::gateway, &GatewayConfig::blocking_threads, 1, 1024));
    f.push_back(Int("gateway", "max_connections", &C::gateway, &GatewayConfig::max_connections, 1,
                    1 << 20));
    f.push_back(Int("gateway", "max_connections_per_address", &C::gateway,
                    &GatewayConfig::max_connections_per_address, 0, 1'000'000));
    f.push_back(Int("gateway", "backlog", &C::gateway, &GatewayConfig::backlog, 1, 1 << 16));
    f.push_back(Int("gateway", "max_header_bytes", &C::gateway, &GatewayConfig::max_header_bytes,
                    1024, 1 << 20));
    f.push_back(Int("gateway", "header_timeout_ms", &C::gateway, &GatewayConfig::header_timeout_ms,
                    1, kMaxMs));
    f.push_back(
        Int("gateway", "body_timeout_ms", &C::gateway, &GatewayConfig::body_timeout_ms, 1, kMaxMs));
    f.push_back(
        Int("gateway", "idle_timeout_ms", &C::gateway, &GatewayConfig::idle_timeout_ms, 1, kMaxMs));
    f.push_back(Int("gateway", "write_timeout_ms", &C::gateway, &GatewayConfig::write_timeout_ms, 1,
                    kMaxMs));
    f.push_back(Int("gateway", "drain_timeout_ms", &C::gateway, &GatewayConfig::drain_timeout_ms, 0,
                    kMaxMs));
    f.push_back(
        Int("gateway", "max_body_bytes", &C::gateway, &GatewayConfig::max_body_bytes, 64, 1 << 24));
    f.push_back(
        Int("gateway", "max_inflight", &C::gateway, &GatewayConfig::max_inflight, 1, 1 << 20));
    f.push_back(
        Str("gateway", "auth_mode", &C::gateway, &GatewayConfig::auth_mode, {"none", "api-key"}));
    f.push_back(
        List("gateway", "api_keys", &C::gateway, &GatewayConfig::api_keys, /*secret=*/true));
    f.push_back(Str("gateway", "api_keys_file", &C::gateway, &GatewayConfig::api_keys_file));
    f.push_back(Str("gateway", "api_key_secret", &C::gateway, &GatewayConfig::api_key_secret, {},
                    /*secret=*/true));
    f.push_back(List("gateway", "currencies", &C::gateway, &GatewayConfig::currencies));
    f.push_back(Int("gateway", "max_amount_minor", &C::gateway, &GatewayConfig::max_amount_minor, 1,
                    std::numeric_limits<int64_t>::max() / 1000));
    f.push_back(Int("gateway", "idem_inflight_ttl_s", &C::gateway,
                    &GatewayConfig::idem_inflight_ttl_s, 1, 86400));
    f.push_back(Int("gateway", "idem_done_ttl_s", &C::gateway, &GatewayConfig::idem_done_ttl_s, 1,
                    kMaxTtlS));
    f.push_back(
        Int("gateway", "max_wait_s", &C::gateway, &GatewayConfig::max_wait_s, 0, kMaxWaitS));
    f.push_back(
        Int("gateway", "max_waiters", &C::gateway, &GatewayConfig::max_waiters, 0, kMaxWaiters));
    f.push_back(
        Int("gateway", "post_per_s", &C::gateway, &GatewayConfig::post_per_s, 0, kMaxRatePerS));
    f.push_back(
        Int("gateway", "post_burst", &C::gateway, &GatewayConfig::post_burst, 1, kMaxRatePerS));
    f.push_back(
        Int("gateway", "get_per_s", &C::gateway, &GatewayConfig::get_per_s, 0, kMaxRatePerS));
    f.push_back(
        Int("gateway", "get_burst", &C::gateway, &GatewayConfig::get_burst, 1, kMaxRatePerS));
    f.push_back(Int("gateway", "rate_limit_clients", &C::gateway,
                    &GatewayConfig::rate_limit_clients, 1, kMaxWaiters * 16));
    // processor
    f.push_back(Str("processor", "group_id", &C::processor, &ProcessorConfig::group_id));
    f.push_back(Int("processor", "workers", &C::processor, &ProcessorConfig::workers, 1, 10000));
    f.push_back(Int("processor", "queue_capacity", &C::processor, &ProcessorConfig::queue_capacity,
                    1, 1 << 20));
    f.push_back(Int("processor", "queue_low_water", &C::processor,
                    &ProcessorConfig::queue_low_water, 0, 1 << 20));
    f.push_back(Int("processor", "commit_interval_ms", &C::processor,
                    &ProcessorConfig::commit_interval_ms, 10, kMaxMs));
    f.push_back(Int("processor", "drain_timeout_ms", &C::processor,
                    &ProcessorConfig::drain_timeout_ms, 0, kMaxMs));
    f.push_back(Str("processor", "admin_host", &C::processor, &ProcessorConfig::admin_host));
    f.push_back(
        Int("processor", "admin_port", &C::processor, &ProcessorConfig::admin_port, 0, kMaxPort));
    f.push_back(Int("processor", "reconcile_interval_s", &C::processor,
                    &ProcessorConfig::reconcile_interval_s, 1, 86400));
    f.push_back(Int("processor", "stuck_threshold_s", &C::processor,
                    &ProcessorConfig::stuck_threshold_s, 1, 86400 * 7));
    f.push_back(
        Int("processor", "batch_max", &C::processor, &ProcessorConfig::batch_max, 1, kMaxBatch));
    f.push_back(Int("processor", "batch_linger_ms", &C::processor,
                    &ProcessorConfig::batch_linger_ms, 0, kMaxBatchLingerMs));
    f.push_back(Int("processor", "stall_timeout_ms", &C::processor,
                    &ProcessorConfig::stall_timeout_ms, 100, kMaxMs));
    // saga
    f.push_back(
        Int("saga", "retry_initial_ms", &C::saga, &SagaConfig::retry_initial_ms, 1, kMaxMs));
    f.push_back(Int("saga", "retry_max_ms", &C::saga, &SagaConfig::retry_max_ms, 1, kMaxMs));
    f.push_back(Int("saga", "retry_multiplier", &C::saga, &SagaConfig::retry_multiplier, 1, 10));
    f.push_back(Int("saga", "retry_jitter_pct", &C::saga, &SagaConfig::retry_jitter_pct, 0, 100));
    f.push_back(
        Int("saga", "payment_deadline_ms", &C::saga, &SagaConfig::payment_deadline_ms, 1, kMaxMs));
    f.push_back(Int("saga", "lease_ms", &C::saga, &SagaConfig::lease_ms, 1, kMaxMs));
    f.push_back(Int("saga", "max_attempts", &C::saga, &SagaConfig::max_attempts, 1, 1000));
    f.push_back(Int("saga", "waitlist_max", &C::saga, &SagaConfig::waitlist_max, 0, 1'000'000));
    f.push_back(
        Int("saga", "waitlist_per_unit", &C::saga, &SagaConfig::waitlist_per_unit, 0, 1000));
    f.push_back(
        Int("saga", "waitlist_timeout_ms", &C::saga, &SagaConfig::waitlist_timeout_ms, 1, kMaxMs));
    // bank
    f.push_back(Str("bank", "mode", &C::bank, &BankConfig::mode, {"simulated", "http"}));
    f.push_back(Str("bank", "url", &C::bank, &BankConfig::url));
    f.push_back(Str("bank", "listen_host", &C::bank, &BankConfig::listen_host));
    f.push_back(Int("bank", "port", &C::bank, &BankConfig::port, 0, kMaxPort));
    f.push_back(Int("bank", "latency_ms", &C::bank, &BankConfig::latency_ms, 0, kMaxMs));
    f.push_back(Int("bank", "decline_pct", &C::bank, &BankConfig::decline_pct, 0, 100));
    f.push_back(Int("bank", "timeout_pct", &C::bank, &BankConfig::timeout_pct, 0, 100));
    f.push_back(Int("bank", "error_pct", &C::bank, &BankConfig::error_pct, 0, 100));
    f.push_back(
        Int("bank", "seed", &C::bank, &BankConfig::seed, 0, std::numeric_limits<int64_t>::max()));
    f.push_back(
        Int("bank", "request_timeout_ms", &C::bank, &BankConfig::request_timeout_ms, 1, kMaxMs));
    f.push_back(Int("bank", "pool_size", &C::bank, &BankConfig::pool_size, 0, kMaxBankPoolSize));
    f.push_back(Int("bank", "server_threads", &C::bank, &BankConfig::server_threads, 1,
                    kMaxBankServerThreads));
    f.push_back(Str("bank", "book_path", &C::bank, &BankConfig::book_path));
    // audit
    f.push_back(Str("audit", "group_id", &C::audit, &AuditConfig::group_id));
    f.push_back(Str("audit", "dir", &C::audit, &AuditConfig::dir));
    f.push_back(Str("audit", "collection", &C::audit, &AuditConfig::collection));
    f.push_back(List("audit", "sinks", &C::audit, &AuditConfig::sinks));
    f.push_back(Int("audit", "batch_max", &C::audit, &AuditConfig::batch_max, 1, kMaxBatch));
    f.push_back(Int("audit", "batch_wait_ms", &C::audit, &AuditConfig::batch_wait_ms, 1,
                    kMaxAuditBatchWaitMs));
    f.push_back(Int("audit", "file_dedup_ids", &C::audit, &AuditConfig::file_dedup_ids, 1,
                    kMaxAuditDedupIds));
    f.push_back(Str("audit", "admin_host", &C::audit, &AuditConfig::admin_host));
    f.push_back(Int("audit", "admin_port", &C::audit, &AuditConfig::admin_port, 0, kMaxPort));
    // log
    f.push_back(Str("log", "level", &C::log, &LogConfig::level,
                    {"trace", "debug", "info", "warn", "error"}));
    f.push_back(Str("log", "format", &C::log, &LogConfig::format, {"text", "json"}));
    return f;
  }();
  return fields;
}

const Field* FindField(const std::string& section, const std::string& key) {
  for (const auto& f : Fields()) {
    if (f.section == section && f.key == key) return &f;
  }
  return nullptr;
}

bool IsSection(const std::string& section) {
  for (const auto& f : Fields()) {
    if (f.section == section) return true;
  }
  return false;
}

std::vector<std::string> SplitList(const std::string& text) {
  std::vector<std::string> items;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    item.erase(0, item.find_first_not_of(" \t"));
    item.erase(item.find_last_not_of(" \t") + 1);
    items.push_back(item);
  }
  return items;
}

// Applies one override given as text; `where` names its origin in errors.
Status ApplyText(Config& config, const std::string& section, const std::string& key,
                 const std::string& value, const std::string& where) {
  const Field* field = FindField(section, key);
  if (field == nullptr) {
    return Status::InvalidArgument(where + ": unknown key '" + section + "." + key + "'");
  }
  std::vector<std::string> values = field->is_list ? SplitList(value) : std::vector{value};
  Status s = field->set(config, values);
  if (!s.ok()) {
    return Status::InvalidArgument(where + ": bad value for '" + section + "." + key +
                                   "': " + s.message());
  }
  return Status::Ok();
}

std::string Where(const std::string& path, const YAML::Node& node) {
  return path + ":" + std::to_string(node.Mark().line + 1);
}

Status ApplyYaml(Config& config, const std::string& path) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    return Status::InvalidArgument(path + ": cannot read config file");
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(path + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  if (root.IsNull()) return Status::Ok();
  if (!root.IsMap())
    return Status::InvalidArgument(Where(path, root) + ": top level must be a map");
  for (const auto& section_entry : root) {
    const std::string section = section_entry.first.as<std::string>();
    const YAML::Node& body = section_entry.second;
    if (!IsSection(section)) {
      return Status::InvalidArgument(Where(path, section_entry.first) + ": unknown key '" +
                                     section + "'");
    }
    if (body.IsNull()) continue;
    if (!body.IsMap()) {
      return Status::InvalidArgument(Where(path, body) + ": section '" + section +
                                     "' must be a map");
    }
    for (const auto& entry : body) {
      const std::string key = entry.first.as<std::string>();
      const Field* field = FindField(section, key);
      const std::string where = Where(path, entry.first);
      if (field == nullptr) {
        return Status::InvalidArgument(where + ": unknown key '" + section + "." + key + "'");
      }
      std::vector<std::string> values;
      if (entry.second.IsSequence()) {
        if (!field->is_list) {
          return Status::InvalidArgument(where + ": bad value for '" + section + "." + key +
                                         "': expected a scalar, got a list");
        }
        for (const auto& item : entry.second) values.push_back(item.as<std::string>());
      } else if (entry.second.IsScalar()) {
        const std::string text = entry.second.as<std::string>();
        values = field->is_list ? SplitList(text) : std::vector{text};
      } else if (!entry.second.IsNull() || !field->is_list) {
        return Status::InvalidArgument(where + ": bad value for '" + section + "." + key +
                                       "': expected a scalar");
      }
      Status s = field->set(config, values);
      if (!s.ok()) {
        return Status::InvalidArgument(where + ": bad value for '" + section + "." + key +
                                       "': " + s.message());
      }
    }
  }
  return Status::Ok();
}

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

Status ApplyEnvironment(Config& config, const std::map<std::string, std::string>& env) {
  static const std::string kPrefix = "WANDERLUXE_";
  for (const auto& [name, value] : env) {
    if (name.rfind(kPrefix, 0) != 0) continue;
    std::string rest = Lower(name.substr(kPrefix.size()));
    size_t underscore = rest.find('_');
    if (underscore == std::string::npos) continue;
    std::string section = rest.substr(0, underscore);
    // Variables outside the config's sections (e.g. WANDERLUXE_TOOLS) are not ours.
    if (!IsSection(section)) continue;
    Status s = ApplyText(config, section, rest.substr(underscore + 1), value,
                         "environment variable " + name);
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

Status ApplySets(Config& config, const std::vector<std::string>& sets) {
  for (const auto& set : sets) {
    size_t eq = set.find('=');
    size_t dot = set.find('.');
    if (eq == std::string::npos || dot == std::string::npos || dot > eq) {
      return Status::InvalidArgument("--set " + set + ": expected section.key=value");
    }
    Status s = ApplyText(config, set.substr(0, dot), set.substr(dot + 1, eq - dot - 1),
                         set.substr(eq + 1), "--set " + set.substr(0, eq));
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

// Cross-key rules that no single key can check.
// True when the key pattern's first hash tag (Redis Cluster's rule: the
// first '{' and the next '}', not empty) is exactly "{%s}": every key of a
// property then hashes on its id alone.
bool TagsWholeId(const std::string& pattern) {
  const size_t open = pattern.find('{');
  if (open == std::string::npos) return false;
  const size_t close = pattern.find('}', open + 1);
  if (close == std::string::npos || close == open + 1) return false;
  return pattern.compare(open, close - open + 1, "{%s}") == 0;
}

Status Validate(const Config& c) {
  if (c.processor.queue_low_water >= c.processor.queue_capacity) {
    return Status::InvalidArgument(
        "processor.queue_low_water must be below processor.queue_capacity");
  }
  if (c.kafka.commit_timeout_ms >= c.kafka.session_timeout_ms) {
    return Status::InvalidArgument(
        "kafka.commit_timeout_ms must be below kafka.session_timeout_ms: the thread that commits "
        "is the one that keeps the consumer in its group");
  }
  if (c.audit.file_dedup_ids < c.audit.batch_max) {
    return Status::InvalidArgument(
        "audit.file_dedup_ids (" + std::to_string(c.audit.file_dedup_ids) +
        ") must be at least audit.batch_max (" + std::to_string(c.audit.batch_max) +
        "): the file sink would forget ids within one batch");
  }
  if (c.kafka.min_insync_replicas > c.kafka.replication_factor) {
    return Status::InvalidArgument(
        "kafka.min_insync_replicas (" + std::to_string(c.kafka.min_insync_replicas) +
        ") must not exceed kafka.replication_factor (" +
        std::to_string(c.kafka.replication_factor) + "): no write with acks=all could succeed");
  }
  if (c.redis.mode == "cluster" && !TagsWholeId(c.redis.property_tag)) {
    return Status::InvalidArgument(
        "redis.mode is cluster but redis.property_tag is '" + c.redis.property_tag +
        "': a property's keys meet in one script and must share a slot, so the pattern must put "
        "a hash tag around the whole property id, e.g. '{%s}'");
  }
  if (c.redis.replica_acks > 0 && c.redis.mode != "cluster") {
    return Status::InvalidArgument(
        "redis.replica_acks is " + std::to_string(c.redis.replica_acks) +
        " but redis.mode is standalone: only a Redis Cluster's replicas are known to the engine");
  }
  if (c.redis.replica_acks > 0 && c.redis.replica_ack_timeout_ms >= c.redis.command_timeout_ms) {
    return Status::InvalidArgument(
        "redis.replica_ack_timeout_ms (" + std::to_string(c.redis.replica_ack_timeout_ms) +
        ") must be below redis.command_timeout_ms (" + std::to_string(c.redis.command_timeout_ms) +
        "): the wait for replicas is part of the call's deadline");
  }
  if (c.redis.mode == "cluster" && c.redis.database != 0) {
    return Status::InvalidArgument("redis.mode is cluster but redis.database is " +
                                   std::to_string(c.redis.database) +
                                   ": a Redis Cluster has only database 0 (no SELECT)");
  }
  const bool sasl = c.kafka.security_protocol.rfind("sasl_", 0) == 0;
  if (sasl && (c.kafka.sasl_username.empty() || c.kafka.sasl_password.empty())) {
    return Status::InvalidArgument("kafka.security_protocol is " + c.kafka.security_protocol +
                                   ": kafka.sasl_username and kafka.sasl_password must be set");
  }
  if (!sasl && !c.kafka.sasl_username.empty()) {
    return Status::InvalidArgument(
        "kafka.sasl_username is set but kafka.security_protocol is " + c.kafka.security_protocol +
        ": the credentials would never be sent (sasl_plaintext or sasl_ssl)");
  }
  if (c.saga.retry_initial_ms > c.saga.retry_max_ms) {
    return Status::InvalidArgument("saga.retry_initial_ms must not exceed saga.retry_max_ms");
  }
  // A driver acts outside the ledger only with a bank call's time (plus clock
  // skew) left on its lease; a lease must cover at least two such steps.
  if (c.saga.lease_ms <= 2 * (c.bank.request_timeout_ms + kLeaseClockSkewMs)) {
    return Status::InvalidArgument(
        "saga.lease_ms (" + std::to_string(c.saga.lease_ms) +
        ") must exceed 2 x (bank.request_timeout_ms + " + std::to_string(kLeaseClockSkewMs) +
        " ms of clock skew) = " +
        std::to_string(2 * (c.bank.request_timeout_ms + kLeaseClockSkewMs)));
  }
  // A waiting guest is settled by the reconciler within one interval of its
  // timeout; that must come before `verify` I5 calls the booking stuck.
  const int64_t waitlist_settled_ms =
      c.saga.waitlist_timeout_ms + c.processor.reconcile_interval_s * 1000;
  if (waitlist_settled_ms >= c.processor.stuck_threshold_s * 1000) {
    return Status::InvalidArgument("saga.waitlist_timeout_ms + processor.reconcile_interval_s (" +
                                   std::to_string(waitlist_settled_ms) +
                                   " ms) must be below processor.stuck_threshold_s (" +
                                   std::to_string(c.processor.stuck_threshold_s) + " s)");
  }
  // An in-flight claim must outlive its publish: librdkafka gives its verdict
  // on a message by LongestPublishMs, and the producer answers one it has not
  // had by then itself. A claim that expired earlier would let a retry
  // publish the booking a second time while the first copy may still be
  // acknowledged.
  const int64_t longest_publish_ms = LongestPublishMs(c.kafka);
  if (c.gateway.idem_inflight_ttl_s * 1000 <= longest_publish_ms) {
    return Status::InvalidArgument(
        "gateway.idem_inflight_ttl_s (" + std::to_string(c.gateway.idem_inflight_ttl_s) +
        " s) must exceed kafka.delivery_timeout_ms + kafka.request_timeout_ms + " +
        std::to_string(kKafkaVerdictSlackMs) +
        " ms of librdkafka's verdict slack = " + std::to_string(longest_publish_ms) + " ms");
  }
  // GET answers from the view when there is one, else from the accepted
  // record: an accepted record outliving its view would show ACCEPTED again.
  if (c.redis.status_view_ttl_s < c.gateway.idem_done_ttl_s) {
    return Status::InvalidArgument(
        "redis.status_view_ttl_s (" + std::to_string(c.redis.status_view_ttl_s) +
        " s) must be at least gateway.idem_done_ttl_s (" +
        std::to_string(c.gateway.idem_done_ttl_s) +
        " s): an accepted record must never outlive the status view that replaces it");
  }
  if (c.gateway.auth_mode == "api-key" && c.gateway.api_keys.empty() &&
      c.gateway.api_keys_file.empty()) {
    return Status::InvalidArgument(
        "gateway.auth_mode is api-key but neither gateway.api_keys nor gateway.api_keys_file is "
        "set");
  }
  if (!c.gateway.api_key_secret.empty() &&
      c.gateway.api_key_secret.size() < kMinApiKeySecretBytes) {
    return Status::InvalidArgument("gateway.api_key_secret must be at least " +
                                   std::to_string(kMinApiKeySecretBytes) + " bytes");
  }
  if (c.bank.decline_pct + c.bank.timeout_pct + c.bank.error_pct > 100) {
    return Status::InvalidArgument(
        "bank.decline_pct + bank.timeout_pct + bank.error_pct must not exceed 100");
  }
  for (const auto& currency : c.gateway.currencies) {
    if (currency.size() != 3 || !std::all_of(currency.begin(), currency.end(), ::isupper)) {
      return Status::InvalidArgument("gateway.currencies: '" + currency +
                                     "' is not an ISO 4217 alpha-3 code");
    }
  }
  return Status::Ok();
}

}  // namespace

std::map<std::string, std::string> WanderluxeEnvironment() {
  std::map<std::string, std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string entry(*e);
    size_t eq = entry.find('=');
    // An empty variable is unset: compose passes `${VAR:-}` as an empty one.
    if (eq != std::string::npos && eq + 1 < entry.size() && entry.rfind("WANDERLUXE_", 0) == 0) {
      env[entry.substr(0, eq)] = entry.substr(eq + 1);
    }
  }
  return env;
}

Result<Config> LoadConfig(const ConfigSources& sources) {
  Config config;
  if (!sources.path.empty()) {
    Status s = ApplyYaml(config, sources.path);
    if (!s.ok()) return s;
  }
  if (Status s = ApplyEnvironment(config, sources.env); !s.ok()) return s;
  if (Status s = ApplySets(config, sources.sets); !s.ok()) return s;
  if (Status s = Validate(config); !s.ok()) return s;
  return config;
}

std::vector<std::string> SecretsInSets(const std::vector<std::string>& sets) {
  std::vector<std::string> named;
  for (const std::string& set : sets) {
    const size_t eq = set.find('=');
    const std::string name = set.substr(0, eq);
    const std::string value = eq == std::string::npos ? "" : set.substr(eq + 1);
    for (const auto& f : Fields()) {
      if (f.section + "." + f.key != name) continue;
      if (f.secret || (f.uri_with_credentials && RedactUriPassword(value) != value)) {
        named.push_back(name);
      }
    }
  }
  return named;
}

std::string RenderConfig(const Config& config) {
  std::string out;
  std::string section;
  for (const auto& f : Fields()) {
    if (f.section != section) {
      section = f.section;
      out += section + ":\n";
    }
    std::string value = f.get(config);
    if (f.secret && value != "\"\"" && value != "[]") value = "\"<redacted>\"";
    if (f.uri_with_credentials) value = RedactUriPassword(value);
    out += "  " + f.key + ": " + value + "\n";
  }
  return out;
}

}  // namespace wanderluxe
