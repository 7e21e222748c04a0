#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "support/build_paths.h"
#include "wanderluxe/config.h"

namespace wanderluxe {
namespace {

// A YAML file that lives for one test.
class TempYaml {
 public:
  explicit TempYaml(const std::string& text) {
    char name[] = "/tmp/wanderluxe-config-XXXXXX";
    int fd = mkstemp(name);
    REQUIRE(fd >= 0);
    close(fd);
    path_ = name;
    std::ofstream(path_) << text;
  }
  ~TempYaml() { std::remove(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST_SUITE("unit.config") {
  TEST_CASE("defaults load without a file") {
    auto config = LoadConfig({});
    REQUIRE(config.ok());
    CHECK(config->kafka.requests_topic == "booking.requests");
    CHECK(config->gateway.max_body_bytes == 16384);
  }

  TEST_CASE("the shipped configs are valid") {
    for (const char* file : {"config/wanderluxe.yaml", "config/docker.yaml"}) {
      auto config = LoadConfig({testing::SourceDir() + "/" + file});
      CHECK_MESSAGE(config.ok(), file, ": ", config.status().ToString());
    }
  }

  TEST_CASE("yaml values are read") {
    TempYaml yaml(
        "kafka:\n  brokers: k1:9092,k2:9092\ngateway:\n  port: 9999\n"
        "  currencies: [USD, EUR]\n");
    auto config = LoadConfig({yaml.path()});
    REQUIRE(config.ok());
    CHECK(config->kafka.brokers == "k1:9092,k2:9092");
    CHECK(config->gateway.port == 9999);
    CHECK(config->gateway.currencies == std::vector<std::string>{"USD", "EUR"});
  }

  TEST_CASE("bank.pool_size: 64 kept connections by default, 0 for none, bounded above") {
    auto defaults = LoadConfig({});
    REQUIRE(defaults.ok());
    CHECK(defaults->bank.pool_size == 64);
    TempYaml none("bank:\n  pool_size: 0\n");
    auto config = LoadConfig({none.path()});
    REQUIRE(config.ok());
    CHECK(config->bank.pool_size == 0);
    TempYaml over("bank:\n  pool_size: 1025\n");
    CHECK(LoadConfig({over.path()})
              .status()
              .message()
              .find("bad value for 'bank.pool_size': 1025 is outside [0, 1024]") !=
          std::string::npos);
    TempYaml negative("bank:\n  pool_size: -1\n");
    CHECK_FALSE(LoadConfig({negative.path()}).ok());
  }

  TEST_CASE("bank.server_threads: 256 by default, at least one, bounded above") {
    auto defaults = LoadConfig({});
    REQUIRE(defaults.ok());
    CHECK(defaults->bank.server_threads == 256);
    TempYaml more("bank:\n  server_threads: 1024\n");
    auto config = LoadConfig({more.path()});
    REQUIRE(config.ok());
    CHECK(config->bank.server_threads == 1024);
    TempYaml none("bank:\n  server_threads: 0\n");
    CHECK(LoadConfig({none.path()}).status().message().find("bank.server_threads") !=
          std::string::npos);
    TempYaml over("bank:\n  server_threads: 4097\n");
    CHECK_FALSE(LoadConfig({over.path()}).ok());
  }

  TEST_CASE("an unknown key is an error naming the key and file:line") {
    TempYaml yaml("kafka:\n  brokers: x:1\n  bogus: 3\n");
    auto config = LoadConfig({yaml.path()});
    REQUIRE_FALSE(config.ok());
    CHECK(config.status().message() == yaml.path() + ":3: unknown key 'kafka.bogus'");
  }

  TEST_CASE("an unknown section is an error") {
    TempYaml yaml("log:\n  level: info\nkafak:\n  brokers: x\n");
    auto config = LoadConfig({yaml.path()});
    REQUIRE_FALSE(config.ok());
    CHECK(config.status().message() == yaml.path() + ":3: unknown key 'kafak'");
  }

  TEST_CASE("a bad value is an error naming the key, file:line and why") {
    TempYaml yaml("gateway:\n  port: eighty\n");
    auto config = LoadConfig({yaml.path()});
    REQUIRE_FALSE(config.ok());
    CHECK(config.status().message() ==
          yaml.path() + ":2: bad value for 'gateway.port': 'eighty' is not an integer");

    TempYaml range("gateway:\n  port: 70000\n");
    CHECK(LoadConfig({range.path()}).status().message().find("outside [0, 65535]") !=
          std::string::npos);

    TempYaml choice("log:\n  format: xml\n");
    CHECK(LoadConfig({choice.path()}).status().message() ==
          choice.path() + ":2: bad value for 'log.format': 'xml' is not one of: text, json");
  }

  TEST_CASE("environment overrides the file, --set overrides the environment") {
    TempYaml yaml("redis:\n  port: 1111\n");
    ConfigSources sources{yaml.path(), {{"WANDERLUXE_REDIS_PORT", "2222"}}, {}};
    CHECK(LoadConfig(sources)->redis.port == 2222);
    sources.sets = {"redis.port=3333"};
    CHECK(LoadConfig(sources)->redis.port == 3333);
  }

  TEST_CASE("environment keys with underscores and lists") {
    ConfigSources sources{"",
                          {{"WANDERLUXE_GATEWAY_MAX_BODY_BYTES", "1024"},
                           {"WANDERLUXE_GATEWAY_CURRENCIES", "USD, JPY"},
                           {"WANDERLUXE_TOOLS", "/not/a/config/key"}},
                          {}};
    auto config = LoadConfig(sources);
    REQUIRE(config.ok());
    CHECK(config->gateway.max_body_bytes == 1024);
    CHECK(config->gateway.currencies == std::vector<std::string>{"USD", "JPY"});
  }

  TEST_CASE("unknown keys in the environment and --set are errors naming them") {
    auto env = LoadConfig({"", {{"WANDERLUXE_KAFKA_BROKER", "x"}}, {}});
    CHECK(env.status().message() ==
          "environment variable WANDERLUXE_KAFKA_BROKER: unknown key 'kafka.broker'");
    auto set = LoadConfig({"", {}, {"kafka.nope=1"}});
    CHECK(set.status().message() == "--set kafka.nope: unknown key 'kafka.nope'");
    auto malformed = LoadConfig({"", {}, {"nodot"}});
    CHECK_FALSE(malformed.ok());
  }

  TEST_CASE("cross-key rules") {
    CHECK_FALSE(LoadConfig({"", {}, {"gateway.auth_mode=api-key"}}).ok());
    CHECK(LoadConfig({"", {}, {"gateway.auth_mode=api-key", "gateway.api_keys=k1,k2"}}).ok());
    CHECK_FALSE(LoadConfig({"", {}, {"processor.queue_low_water=5000"}}).ok());
    CHECK_FALSE(LoadConfig({"", {}, {"gateway.currencies=usd"}}).ok());
    // The committing thread is the polling one: a commit may not outlast the session.
    CHECK_FALSE(LoadConfig({"", {}, {"kafka.commit_timeout_ms=10000"}}).ok());
    CHECK(LoadConfig({"", {}, {"kafka.commit_timeout_ms=9999"}}).ok());
    // api-key mode needs keys from the list or from a file.
    CHECK(LoadConfig({"", {}, {"gateway.auth_mode=api-key", "gateway.api_keys_file=/k"}}).ok());
  }

  TEST_CASE("an empty WANDERLUXE_ variable is unset, as compose's ${VAR:-} passes one") {
    setenv("WANDERLUXE_GATEWAY_API_KEYS", "", 1);
    setenv("WANDERLUXE_GATEWAY_PORT", "9191", 1);
    const auto env = WanderluxeEnvironment();
    unsetenv("WANDERLUXE_GATEWAY_API_KEYS");
    unsetenv("WANDERLUXE_GATEWAY_PORT");
    CHECK(env.count("WANDERLUXE_GATEWAY_API_KEYS") == 0);
    REQUIRE(env.count("WANDERLUXE_GATEWAY_PORT") == 1);
    CHECK(env.at("WANDERLUXE_GATEWAY_PORT") == "9191");
  }

  TEST_CASE("secrets given with --set are named, so the CLI can warn (issue 17)") {
    CHECK(SecretsInSets({"gateway.api_keys=k1", "redis.password=x", "gateway.port=1"}) ==
          std::vector<std::string>{"gateway.api_keys", "redis.password"});
    CHECK(SecretsInSets({"gateway.api_keys_file=/etc/keys"}).empty());
    CHECK(SecretsInSets({"gateway.api_key_secret=0123456789abcdef"}) ==
          std::vector<std::string>{"gateway.api_key_secret"});
  }

  TEST_CASE("gateway.api_key_secret: a secret, and not a short one") {
    auto config = LoadConfig({"", {}, {"gateway.api_key_secret=hmac-secret-0123456789"}});
    REQUIRE_MESSAGE(config.ok(), config.status().ToString());
    CHECK(config->gateway.api_key_secret == "hmac-secret-0123456789");
    CHECK(RenderConfig(*config).find("hmac-secret") == std::string::npos);
    auto short_secret = LoadConfig({"", {}, {"gateway.api_key_secret=short"}});
    REQUIRE_FALSE(short_secret.ok());
    CHECK(short_secret.status().message() == "gateway.api_key_secret must be at least 16 bytes");
  }

  // A password inside mongo.uri (where credentials for the ledger go) printed
  // in clear in `config check` and in every role's start-up log.
  TEST_CASE("a password inside mongo.uri is redacted when printed, and named when --set") {
    auto config = LoadConfig(
        {"", {}, {"mongo.uri=mongodb://ledger:s3cr%40t@db-1:27017,db-2:27017/?replicaSet=rs0"}});
    REQUIRE(config.ok());
    const std::string text = RenderConfig(*config);
    CHECK(text.find("s3cr") == std::string::npos);
    CHECK(text.find("mongodb://ledger:<redacted>@db-1:27017,db-2:27017/?replicaSet=rs0") !=
          std::string::npos);
    CHECK(SecretsInSets({"mongo.uri=mongodb://u:p@h/"}) == std::vector<std::string>{"mongo.uri"});
    // No password, nothing to hide: the uri prints as it is and draws no warning.
    CHECK(SecretsInSets({"mongo.uri=mongodb://u@h/?authMechanism=MONGODB-X509"}).empty());
    auto plain = LoadConfig({"", {}, {"mongo.uri=mongodb://127.0.0.1:27017/"}});
    REQUIRE(plain.ok());
    CHECK(RenderConfig(*plain).find("uri: \"mongodb://127.0.0.1:27017/\"") != std::string::npos);
  }

  TEST_CASE("the processor's batches and the ledger's lookup (issue 14)") {
    auto defaults = LoadConfig({});
    REQUIRE(defaults.ok());
    CHECK(defaults->processor.batch_max == 500);
    CHECK(defaults->processor.batch_linger_ms == 5);
    CHECK(defaults->mongo.ledger_lookup == "in");
    auto set = LoadConfig({"",
                           {},
                           {"processor.batch_max=1", "processor.batch_linger_ms=0",
                            "mongo.ledger_lookup=presence-markers"}});
    REQUIRE(set.ok());
    CHECK(set->processor.batch_max == 1);
    CHECK(set->mongo.ledger_lookup == "presence-markers");
    CHECK_FALSE(LoadConfig({"", {}, {"processor.batch_max=0"}}).ok());
    CHECK_FALSE(LoadConfig({"", {}, {"processor.batch_max=10001"}}).ok());
    CHECK_FALSE(LoadConfig({"", {}, {"processor.batch_linger_ms=-1"}}).ok());
    CHECK_FALSE(LoadConfig({"", {}, {"processor.batch_linger_ms=1001"}}).ok());
    CHECK_FALSE(LoadConfig({"", {}, {"mongo.ledger_lookup=scan"}}).ok());
  }

  TEST_CASE("redis.mode: standalone or cluster, and a cluster has only database 0 (issue 30)") {
    auto defaults = LoadConfig({});
    REQUIRE(defaults.ok());
    CHECK(defaults->redis.mode == "standalone");
    auto cluster = LoadConfig({"", {}, {"redis.mode=cluster", "redis.property_tag={%s}"}});
    REQUIRE_MESSAGE(cluster.ok(), cluster.status().ToString());
    CHECK(cluster->redis.mode == "cluster");
    CHECK(LoadConfig({"", {}, {"redis.mode=sentinel"}})
              .status()
              .message()
              .find("'sentinel' is not one of: standalone, cluster") != std::string::npos);
    auto selected = LoadConfig(
        {"", {}, {"redis.mode=cluster", "redis.property_tag={%s}", "redis.database=15"}});
    REQUIRE_FALSE(selected.ok());
    CHECK(selected.status().message() ==
          "redis.mode is cluster but redis.database is 15: a Redis Cluster has only database 0 "
          "(no SELECT)");
    CHECK(LoadConfig({"", {}, {"redis.mode=standalone", "redis.database=15"}}).ok());
  }

  TEST_CASE(
      "redis.replica_acks: a cluster's replicas only, waited for within the call (issue 30)") {
    const std::vector<std::string> cluster = {"redis.mode=cluster", "redis.property_tag={%s}"};
    auto with = [&](std::vector<std::string> sets) {
      sets.insert(sets.begin(), cluster.begin(), cluster.end());
      return LoadConfig({"", {}, sets});
    };
    auto acked = with({"redis.replica_acks=1"});
    REQUIRE_MESSAGE(acked.ok(), acked.status().ToString());
    CHECK(acked->redis.replica_acks == 1);
    CHECK(LoadConfig({"", {}, {"redis.replica_acks=1"}})
              .status()
              .message()
              .find("redis.mode is standalone") != std::string::npos);
    CHECK(with({"redis.replica_acks=1", "redis.replica_ack_timeout_ms=1000"})
              .status()
              .message()
              .find("must be below redis.command_timeout_ms (1000)") != std::string::npos);
    CHECK(with({"redis.replica_acks=6"}).status().message().find("redis.replica_acks") !=
          std::string::npos);
  }

  // A property's keys (inventory, holds, sold, total, waitlist) meet in one
  // script: in a cluster they must share a slot, which only a hash tag
  // around the whole property id guarantees.
  TEST_CASE("redis.mode cluster refuses a key pattern without a hash tag (issue 30)") {
    for (const char* untagged : {"%s", "prop-%s", "{x}%s", "%s{}"}) {
      auto loaded = LoadConfig(
          {"", {}, {"redis.mode=cluster", std::string("redis.property_tag=") + untagged}});
      REQUIRE_FALSE_MESSAGE(loaded.ok(), untagged);
      CHECK_MESSAGE(loaded.status().message().find("redis.property_tag") != std::string::npos,
                    loaded.status().message());
    }
    CHECK(LoadConfig({"", {}, {"redis.mode=cluster", "redis.property_tag={%s}"}}).ok());
    CHECK(LoadConfig({"", {}, {"redis.mode=cluster", "redis.property_tag=wl:{%s}"}}).ok());
    // Standalone keeps the challenge's own `set inventory:prop-dubai-royal 5`.
    CHECK(LoadConfig({"", {}, {"redis.mode=standalone", "redis.property_tag=%s"}}).ok());
  }

  TEST_CASE("a status view must outlive the accepted record it replaces") {
    auto config = LoadConfig({});
    REQUIRE(config.ok());
    CHECK(config->redis.status_view_ttl_s == 30 * 86400);
    CHECK(config->gateway.max_wait_s == 30);
    CHECK(config->gateway.max_waiters == 20000);
    auto shorter =
        LoadConfig({"", {}, {"gateway.idem_done_ttl_s=86400", "redis.status_view_ttl_s=86399"}});
    REQUIRE_FALSE(shorter.ok());
    CHECK(shorter.status().message() ==
          "redis.status_view_ttl_s (86399 s) must be at least gateway.idem_done_ttl_s (86400 s): "
          "an accepted record must never outlive the status view that replaces it");
    CHECK(LoadConfig({"", {}, {"gateway.idem_done_ttl_s=86400", "redis.status_view_ttl_s=86400"}})
              .ok());
    CHECK_FALSE(LoadConfig({"", {}, {"gateway.max_wait_s=3601"}}).ok());
  }

  TEST_CASE("an in-flight idempotency claim must outlive the longest publish") {
    // 5 s delivery + 3 s request timeout + 2 s of librdkafka's verdict slack:
    // a claim of 10 s could expire while the event may still be acknowledged.
    auto equal = LoadConfig({"",
                             {},
                             {"kafka.delivery_timeout_ms=5000", "kafka.request_timeout_ms=3000",
                              "gateway.idem_inflight_ttl_s=10"}});
    REQUIRE_FALSE(equal.ok());
    CHECK(equal.status().message() ==
          "gateway.idem_inflight_ttl_s (10 s) must exceed kafka.delivery_timeout_ms + "
          "kafka.request_timeout_ms + 2000 ms of librdkafka's verdict slack = 10000 ms");
    CHECK(LoadConfig({"",
                      {},
                      {"kafka.delivery_timeout_ms=5000", "kafka.request_timeout_ms=3000",
                       "gateway.idem_inflight_ttl_s=11"}})
              .ok());
    // The gateway has no publish timeout of its own to disagree with Kafka's.
    auto removed = LoadConfig({"", {}, {"gateway.publish_timeout_ms=1500"}});
    REQUIRE_FALSE(removed.ok());
    CHECK(removed.status().message() ==
          "--set gateway.publish_timeout_ms: unknown key 'gateway.publish_timeout_ms'");
  }

  TEST_CASE("kafka.min_insync_replicas: 1 by default, between 1 and kafka.replication_factor") {
    auto defaults = LoadConfig({});
    REQUIRE(defaults.ok());
    CHECK(defaults->kafka.min_insync_replicas == 1);
    auto three =
        LoadConfig({"", {}, {"kafka.replication_factor=3", "kafka.min_insync_replicas=2"}});
    REQUIRE_MESSAGE(three.ok(), three.status().ToString());
    CHECK(three->kafka.min_insync_replicas == 2);
    // acks=all could never be met: refused, naming both keys and values.
    auto above =
        LoadConfig({"", {}, {"kafka.replication_factor=1", "kafka.min_insync_replicas=2"}});
    REQUIRE_FALSE(above.ok());
    CHECK(above.status().message() ==
          "kafka.min_insync_replicas (2) must not exceed kafka.replication_factor (1): no write "
          "with acks=all could succeed");
    CHECK_FALSE(LoadConfig({"", {}, {"kafka.min_insync_replicas=0"}}).ok());
  }

  TEST_CASE("the rendered config redacts secrets and loads back") {
    auto config = LoadConfig({"", {}, {"redis.password=hunter2", "gateway.api_keys=k1"}});
    REQUIRE(config.ok());
    const std::string text = RenderConfig(*config);
    CHECK(text.find("hunter2") == std::string::npos);
    CHECK(text.find("<redacted>") != std::string::npos);
    auto plain = LoadConfig({});
    TempYaml rendered(RenderConfig(*plain));
    auto reloaded = LoadConfig({rendered.path()});
    REQUIRE_MESSAGE(reloaded.ok(), reloaded.status().ToString());
    CHECK(RenderConfig(*reloaded) == RenderConfig(*plain));
  }
}

}  // namespace
}  // namespace wanderluxe
