// The effective configuration of every role: one YAML file, then environment
// overrides (WANDERLUXE_<SECTION>_<KEY>), then --set section.key=value.
// Unknown keys and bad values are errors naming the key and where it came from
// (file:line, the environment variable, or the --set flag).
//
// Thread safety: a Config is a plain value, loaded once at start-up and
// read-only afterwards, so any number of threads may read it.
#ifndef WANDERLUXE_CONFIG_H_
#define WANDERLUXE_CONFIG_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "wanderluxe/status.h"

namespace wanderluxe {

struct KafkaConfig {
  std::string brokers = "127.0.0.1:9092";
  std::string client_id = "wanderluxe";
  std::string requests_topic = "booking.requests";
  std::string outcomes_topic = "booking.outcomes";
  std::string dlq_topic = "booking.requests.dlq";
  int64_t partitions = 6;
  int64_t replication_factor = 1;
  // The topics' min.insync.replicas: how many replicas an acks=all write must
  // reach. Between 1 and replication_factor (config check).
  int64_t min_insync_replicas = 1;
  int64_t linger_ms = 2;
  int64_t delivery_timeout_ms = 5000;  // librdkafka's message.timeout.ms: it gives up then
  int64_t request_timeout_ms = 3000;
  int64_t admin_timeout_ms = 15000;
  int64_t session_timeout_ms = 10000;
  // An offset commit's bound. The consumer thread that commits is the one that
  // polls; it must be back polling well within session_timeout_ms.
  int64_t commit_timeout_ms = 3000;
  int64_t max_poll_interval_ms = 300000;
  // Consumer group assignment. "cooperative-sticky" moves only the partitions
  // that change hands, but librdkafka before the fix for its issue 4059
  // (Debian 12 ships 2.0.2) loses the whole assignment when an offset commit
  // meets the second round of an incremental rebalance. Hence "range" here.
  std::string assignment_strategy = "range";
  // librdkafka's `debug` contexts (e.g. "cgrp,fetch"), logged at info; empty: none.
  std::string debug;
  // How every client (producer, consumer, admin) meets the brokers:
  // plaintext | ssl | sasl_plaintext | sasl_ssl. With SASL: the mechanism
  // (PLAIN | SCRAM-SHA-256 | SCRAM-SHA-512) and the credentials; with TLS, the
  // CA file that signed the brokers' certificates (empty: the system's).
  std::string security_protocol = "plaintext";
  std::string sasl_mechanism = "SCRAM-SHA-256";
  std::string sasl_username;
  std::string sasl_password;  // secret
  std::string ssl_ca_location;
};

// How far librdkafka's verdict on a message may trail its deadline: its
// broker threads look for timed-out requests and messages once a second (and
// once a reconnect backoff, which KafkaProducer caps at a second), and the
// messages of a request that timed out are put back, to be failed at the
// next look. Two looks, and the report's way to the reporter thread.
constexpr int64_t kKafkaVerdictSlackMs = 2000;

// The longest a publish waits for librdkafka's verdict: message.timeout.ms
// (delivery_timeout_ms), plus request.timeout.ms for a request on the wire
// (librdkafka's documented bound; 2.0.2 caps a ProduceRequest by its first
// message's time left), plus the slack above. Past it the producer answers
// "outcome unknown" itself, and an idempotency claim must outlive it.
inline int64_t LongestPublishMs(const KafkaConfig& kafka) {
  return kafka.delivery_timeout_ms + kafka.request_timeout_ms + kKafkaVerdictSlackMs;
}

struct RedisConfig {
  // "standalone": one server at host:port. "cluster": a Redis Cluster, host:port
  // its seed node (adapters/redis/redis_cluster.h); database 0 only (no SELECT).
  std::string mode = "standalone";
  std::string host = "127.0.0.1";
  int64_t port = 6379;
  std::string username;  // an ACL user (AUTH username password); empty: the default user
  std::string password;  // secret
  // The logical database (SELECT). The tests use their own (tests/main.cc), so
  // a system-wide `verify` of the demo never meets a test's property.
  int64_t database = 0;
  int64_t connect_timeout_ms = 1000;
  int64_t command_timeout_ms = 1000;
  int64_t pool_size = 16;
  // The gateway's pipelined connections (claim, complete, drop claim; cluster mode: pool_size
  // RedisWorkers threads): many requests share one round trip and one AOF fsync. Past
  // `pipeline_queue` calls waiting, a request is refused at once (503).
  int64_t pipeline_connections = 2;
  int64_t pipeline_queue = 65'536;
  // Calls of one idempotency script a round trip carries run as one script
  // call of at most this many (RedisPipeline, "Merging"); 1: each alone.
  int64_t pipeline_merge_max = 256;
  // Every key is built from this pattern; "{%s}" hash tags keep one property's
  // keys in one Redis Cluster slot. %s is the property id.
  std::string property_tag = "%s";
  // Cluster mode: an inventory change is answered only once this many
  // replicas of its master hold it (WAIT), so a failover cannot undo a hold
  // a saga charges for. Fewer within replica_ack_timeout_ms: kUnavailable,
  // and the saga retries the (idempotent) step. 0: asynchronous replication.
  int64_t replica_acks = 0;
  int64_t replica_ack_timeout_ms = 500;
  // A booking's status view (DESIGN.md "The status view") lives this long
  // after its last write; at least gateway.idem_done_ttl_s, so that an
  // accepted record never outlives the view that replaces it.
  int64_t status_view_ttl_s = 30 * 86'400;
};

struct MongoConfig {
  std::string uri = "mongodb://127.0.0.1:27017/?serverSelectionTimeoutMS=2000";
  std::string database = "wanderluxe";
  int64_t timeout_ms = 2000;
  int64_t pool_max = 64;
  // The ledger's bookings spread over this many collections by a hash of the
  // bookingId. 1 (one `bookings` collection) for MongoDB; FerretDB 1.x scans a
  // collection for every filtered read, so the local stack splits it (DESIGN.md "FerretDB on
  // PostgreSQL, sharded").
  int64_t ledger_shards = 1;
  // How the processor's batches find which bookings the ledger has already
  // (Ledger::GetMany). "in": one `_id: {$in: ...}` read per collection, served
  // by MongoDB's _id index. "presence-markers": FerretDB 1.x answers `$in` by
  // reading the whole collection, a cost that grows with the ledger, so the
  // ledger keeps a marker per booking id that was ever looked up or inserted
  // and finds new ids by one bulk insert of markers (the unique index serves
  // inserts). Recorded in the database with ledger_shards (the layout).
  std::string ledger_lookup = "in";
  // When a won claim's change is written onto the booking's document
  // (DESIGN.md "A claim, then a write-down"): "at-end" defers the changes
  // that leave a booking open and writes them with the one that ends it, in
  // one update; "immediate" writes each. Reads follow the claims either way.
  std::string write_down = "at-end";
};

struct GatewayConfig {
  std::string listen_host = "0.0.0.0";
  int64_t port = 8080;
  // The public API's event loop (DESIGN.md "Gateway"): a few loop threads serve every
  // connection; handlers that block (ledger, inventory reads) run on a small pool.
  int64_t io_threads = 2;
  int64_t blocking_threads = 8;
  int64_t max_connections = 20'000;  // past it a new connection is closed at once
  // Per peer address; 0: no bound (one address may be a whole NAT's guests).
  int64_t max_connections_per_address = 0;
  int64_t backlog = 4096;  // listen(); the kernel caps it at somaxconn
  int64_t max_header_bytes = 8 * 1024;
  int64_t max_body_bytes = 16 * 1024;
  // From a request's first byte to the end of its headers: a slow client is cut here.
  int64_t header_timeout_ms = 10'000;
  int64_t body_timeout_ms = 10'000;
  int64_t idle_timeout_ms = 60'000;  // keep-alive: waiting for the next request
  int64_t write_timeout_ms = 10'000;
  int64_t drain_timeout_ms = 10'000;  // SIGTERM: how long answers in flight may take
  int64_t max_inflight = 4096;
  std::string auth_mode = "none";  // none | api-key
  // Secret. Each "<client-id>=<key>", the key in clear or as
  // "hmac-sha256:<hex>" under api_key_secret (wanderluxe/client_keys.h).
  std::vector<std::string> api_keys;
  // One entry per line, as in api_keys: keys kept off the command line and
  // out of the config file. Used with api_keys, if both are given.
  std::string api_keys_file;
  // Secret: the HMAC key under which stored keys are digested. Empty: only
  // keys in clear may be given.
  std::string api_key_secret;
  std::vector<std::string> currencies = {"USD", "EUR", "GBP", "AED", "JPY", "CHF", "KWD"};
  int64_t max_amount_minor = 100'000'000;  // in minor units of any currency
  int64_t idem_inflight_ttl_s = 30;
  int64_t idem_done_ttl_s = 86'400;
  // GET with `Prefer: wait=N` (RFC 7240): a read of a booking that is not
  // terminal waits for its outcome event at most min(N, max_wait_s) seconds;
  // past max_waiters waiting at once, a read is answered at once.
  int64_t max_wait_s = 30;
  int64_t max_waiters = 20'000;
  // Per-client token buckets (RateLimiter): a client is its API client id,
  // else its address. `*_per_s` requests a second after a burst of
  // `*_burst`; past it 429 with Retry-After. 0 per second: no limit (the
  // default: one address may carry a whole NAT's guests, and the benches
  // send from one). At most rate_limit_clients buckets each.
  int64_t post_per_s = 0;
  int64_t post_burst = 20;
  int64_t get_per_s = 0;
  int64_t get_burst = 50;
  int64_t rate_limit_clients = 100'000;
  // No publish timeout of its own: a publish ends with librdkafka's verdict on
  // the message, by LongestPublishMs (kafka.delivery_timeout_ms and friends).
};

struct ProcessorConfig {
  std::string group_id = "booking-processor";
  int64_t workers = 64;
  int64_t queue_capacity = 2048;
  int64_t queue_low_water = 1024;
  int64_t commit_interval_ms = 1000;
  int64_t drain_timeout_ms = 30000;
  std::string admin_host = "0.0.0.0";
  int64_t admin_port = 8081;
  int64_t reconcile_interval_s = 30;
  int64_t stuck_threshold_s = 120;
  // Micro-batches (DESIGN.md "Processor"): the sold-out and reserve decisions of up
  // to batch_max events of a partition are taken together, in offset order;
  // an idle partition waits at most batch_linger_ms for more to arrive.
  int64_t batch_max = 500;
  int64_t batch_linger_ms = 5;
  // An owned partition with events behind its position from which nothing
  // was read for this long, backpressure aside, is stalled: logged, counted
  // in processor_stalled_partitions, and /readyz fails.
  int64_t stall_timeout_ms = 30000;
};

struct SagaConfig {
  int64_t retry_initial_ms = 50;
  int64_t retry_max_ms = 5000;
  int64_t retry_multiplier = 2;
  int64_t retry_jitter_pct = 20;
  int64_t payment_deadline_ms = 15000;
  // A driver owns a booking this long after its last transition (§6).
  int64_t lease_ms = 30000;
  // Attempts at an error retrying cannot fix before a booking is parked.
  int64_t max_attempts = 5;
  // The waitlist (docs/contract.md "Redis"): while every unit is held, up to
  // min(waitlist_max, waitlist_per_unit x the property's total) guests wait
  // for one to come back; per_unit 0 turns it off. A guest waits at most
  // waitlist_timeout_ms (checked by the reconciler, every
  // processor.reconcile_interval_s), then ends SOLD_OUT.
  int64_t waitlist_max = 1000;
  int64_t waitlist_per_unit = 2;
  int64_t waitlist_timeout_ms = 80000;
};

// What two processors' clocks may disagree by, on top of a bank call, when
// a driver decides whether its lease still covers its next external step.
inline constexpr int64_t kLeaseClockSkewMs = 1000;

struct BankConfig {
  std::string mode = "simulated";  // simulated | http
  std::string url = "http://127.0.0.1:8090";
  std::string listen_host = "0.0.0.0";
  int64_t port = 8090;
  int64_t latency_ms = 2000;
  int64_t decline_pct = 0;
  int64_t timeout_pct = 0;
  int64_t error_pct = 0;
  int64_t seed = 42;
  int64_t request_timeout_ms = 5000;
  // HttpBank: kept-alive connections to the bank kept between calls (one per
  // default processor worker); 0 opens a connection per call.
  int64_t pool_size = 64;
  // The bank role's server threads: the calls it serves at once (each holds
  // a thread for its bank.latency_ms). Below the processors' workers, a slow
  // bank queues their charges past bank.request_timeout_ms.
  int64_t server_threads = 256;
  std::string book_path = ".stack/bank/charges.jsonl";
};

struct AuditConfig {
  std::string group_id = "audit-group";
  std::string dir = ".stack/audit";
  std::string collection = "audit_events";
  std::vector<std::string> sinks = {"file", "mongo"};
  // A batch: up to this many events, or what came within batch_wait_ms,
  // made durable in every sink before its offsets are committed.
  int64_t batch_max = 500;
  int64_t batch_wait_ms = 200;
  // The file sink archives each eventId once among this many last lines of a
  // partition (FileArchive): a copy published further behind is kept twice.
  int64_t file_dedup_ids = 16384;
  std::string admin_host = "0.0.0.0";
  int64_t admin_port = 8082;
};

struct LogConfig {
  std::string level = "info";   // trace | debug | info | warn | error
  std::string format = "text";  // text | json
};

struct Config {
  KafkaConfig kafka;
  RedisConfig redis;
  MongoConfig mongo;
  GatewayConfig gateway;
  ProcessorConfig processor;
  SagaConfig saga;
  BankConfig bank;
  AuditConfig audit;
  LogConfig log;
};

// Where overrides come from, in order of precedence (lowest first).
struct ConfigSources {
  std::string path;                        // YAML file; empty = defaults only
  std::map<std::string, std::string> env;  // WANDERLUXE_* variables
  std::vector<std::string> sets;           // "section.key=value"
};

// Collects the WANDERLUXE_* variables of this process.
std::map<std::string, std::string> WanderluxeEnvironment();

Result<Config> LoadConfig(const ConfigSources& sources);

// The keys among `sets` ("section.key=value") that hold a secret: a value on
// the command line is visible to every user of the machine (ps).
std::vector<std::string> SecretsInSets(const std::vector<std::string>& sets);

// The effective config as YAML, with secrets redacted.
std::string RenderConfig(const Config& config);

}  // namespace wanderluxe

#endif  // WANDERLUXE_CONFIG_H_
