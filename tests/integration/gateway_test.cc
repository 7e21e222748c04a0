// The gateway in-process, against live Redis and Kafka: every status code of
// §4.1, replays, concurrency, and a dead broker.
#include <doctest/doctest.h>

#include <dirent.h>

#include <atomic>
#include <future>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <thread>

#include "adapters/http/http_client.h"
#include "adapters/kafka/kafka_admin.h"
#include "adapters/kafka/kafka_producer.h"
#include "adapters/redis/redis_client.h"
#include "adapters/redis/redis_idempotency_store.h"
#include "adapters/redis/redis_pipeline.h"
#include "adapters/redis/redis_status_views.h"
#include "fakes/fake_ports.h"
#include "roles/gateway/gateway_server.h"
#include "support/child_process.h"
#include "support/raw_http.h"
#include "support/servers.h"
#include "wanderluxe/booking_view.h"
#include "wanderluxe/ids.h"

namespace wanderluxe {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Headers = std::vector<std::pair<std::string, std::string>>;

// How long Redis holds writes back in the read-beside-writes test: longer
// than the test waits for anything, so no write is let through meanwhile.
constexpr milliseconds kHoldBack{20000};
// A read's answer, and the test's set-up, on a loaded two-core machine.
constexpr seconds kReadBound{5};
constexpr seconds kSetUp{10};

// A gateway on a free port with its own requests topic.
class LiveGateway {
 public:
  // `sets` apply to the gateway only; its topic is created on the live broker.
  // GET reads the live Redis's status views (views() writes them, as the
  // processor does); `inventory`, owned by the caller, serves the inventory
  // route, which is not configured without it.
  explicit LiveGateway(std::vector<std::string> sets = {}, InventoryStore* inventory = nullptr) {
    const std::string topic = testing::UniqueName("gw-requests");
    const Config live = testing::LiveConfig();
    auto created = EnsureTopics(live.kafka, {{topic, 3, 1}});
    REQUIRE_MESSAGE(created.ok(), "Kafka at ", live.kafka.brokers, ": ",
                    created.status().ToString(), " -- start it with scripts/stack up");
    sets.insert(sets.begin(), {"gateway.listen_host=127.0.0.1", "gateway.port=0",
                               "kafka.requests_topic=" + topic});
    config_ = testing::LiveConfig(sets);
    live_kafka_ = live.kafka;
    auto redis = RedisClient::Connect(config_.redis);
    REQUIRE_MESSAGE(redis.ok(), "Redis: ", redis.status().ToString(),
                    " -- start it with scripts/stack up");
    redis_ = std::move(*redis);
    auto producer = KafkaProducer::Create(config_.kafka);
    REQUIRE(producer.ok());
    producer_ = std::move(*producer);
    views_ = std::make_unique<RedisStatusViews>(*redis_);
    auto keys = ClientKeys::Load(config_.gateway);
    REQUIRE_MESSAGE(keys.ok(), keys.status().ToString());
    server_ = std::make_unique<GatewayServer>(
        config_, GatewayDependencies{redis_.get(), producer_.get(), inventory, nullptr, *keys});
    REQUIRE(server_->Start().ok());
  }

  HttpClient Client(seconds timeout = seconds(10)) const {
    return HttpClient("http://127.0.0.1:" + std::to_string(server_->port()), timeout);
  }
  // A topic created moments ago may not have its partition leaders known to
  // every broker client yet ("Not leader for partition"): the count is asked
  // again, within a bound, while Kafka answers that it is unavailable.
  int64_t MessagesOnTopic() const {
    Result<int64_t> n = Status::Unavailable("not counted yet");
    testing::WaitUntil(
        [&] {
          n = CountMessages(live_kafka_, config_.kafka.requests_topic, seconds(5));
          return n.status().code() != StatusCode::kUnavailable;
        },
        seconds(15));
    REQUIRE_MESSAGE(n.ok(), n.status().ToString());
    return *n;
  }
  const Config& config() const { return config_; }
  int port() const { return server_->port(); }
  RedisClient& redis() { return *redis_; }
  KafkaProducer& producer() { return *producer_; }
  StatusViews& views() { return *views_; }

 private:
  Config config_;
  KafkaConfig live_kafka_;  // where the topic is, whatever the gateway was told
  std::unique_ptr<RedisClient> redis_;
  std::unique_ptr<KafkaProducer> producer_;
  std::unique_ptr<RedisStatusViews> views_;
  std::unique_ptr<GatewayServer> server_;
};

std::string Body(const std::string& booking_id, const std::string& amount = "5000.00",
                 const std::string& currency = "USD", const std::string& extra = "") {
  return R"({"bookingId":")" + booking_id + R"(","propertyId":"prop-dubai-royal","amount":)" +
         amount + R"(,"currency":")" + currency + "\"" + extra + "}";
}

HttpResult Post(HttpClient& client, const std::string& key, const std::string& body,
                const std::string& content_type = "application/json", Headers extra = {}) {
  Headers headers = extra;
  if (!key.empty()) headers.emplace_back("Idempotency-Key", key);
  auto r = client.Send("POST", "/api/v1/bookings", headers, body, content_type);
  REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  return *r;
}

HttpResult Get(HttpClient& client, const std::string& booking_id, Headers headers = {}) {
  auto r = client.Send("GET", "/api/v1/bookings/" + booking_id, headers);
  REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  return *r;
}

std::vector<std::string> ProblemFields(const std::string& body) {
  std::vector<std::string> fields;
  auto problem = nlohmann::json::parse(body);
  for (const auto& e : problem["errors"]) fields.push_back(e["field"]);
  return fields;
}

std::vector<std::string> ProblemFields(const HttpResult& r) { return ProblemFields(r.body); }

// A request as it goes on the wire; `headers` are whole lines without CRLF.
std::string RawRequest(const std::string& method, const std::string& target,
                       const std::vector<std::string>& headers, const std::string& body = "") {
  std::string out = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  for (const auto& h : headers) out += h + "\r\n";
  return out + "\r\n" + body;
}

// A POST of `body` with a correct Content-Length and the given extra header lines.
std::string RawPost(const std::string& body, std::vector<std::string> headers) {
  headers.push_back("Content-Type: application/json");
  headers.push_back("Content-Length: " + std::to_string(body.size()));
  headers.push_back("Connection: close");
  return RawRequest("POST", "/api/v1/bookings", headers, body);
}

// The value of one sample of /metrics, or -1 when the series is absent.
int64_t MetricValue(HttpClient& client, const std::string& series) {
  auto metrics = client.Send("GET", "/metrics");
  REQUIRE(metrics.ok());
  const size_t at = metrics->body.find(series + " ");
  if (at == std::string::npos) return -1;
  return std::stoll(metrics->body.substr(at + series.size() + 1));
}

// Redis's CLIENT PAUSE WRITE: every client's next write command waits
// (and what it pipelined after it), reads go on; released when it goes out
// of scope, whatever the test found.
class WritesHeldBack {
 public:
  WritesHeldBack(RedisClient& redis, milliseconds at_most) : redis_(redis) {
    auto r = redis_.Command({"CLIENT", "PAUSE", std::to_string(at_most.count()), "WRITE"});
    REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  }
  ~WritesHeldBack() { Release(); }
  void Release() {
    if (released_) return;
    released_ = true;
    auto r = redis_.Command({"CLIENT", "UNPAUSE"});
    CHECK_MESSAGE(r.ok(), r.status().ToString());
  }

 private:
  RedisClient& redis_;
  bool released_ = false;
};

// Redis's count of clients it holds (a paused write among them).
int64_t BlockedClients(RedisClient& redis) {
  auto info = redis.Command({"INFO", "clients"});
  REQUIRE(info.ok());
  const std::string field = "blocked_clients:";
  const size_t at = info->text.find(field);
  REQUIRE(at != std::string::npos);
  return std::stoll(info->text.substr(at + field.size()));
}

int ThreadsOfThisProcess() {
  int n = 0;
  DIR* tasks = opendir("/proc/self/task");
  REQUIRE(tasks != nullptr);
  while (dirent* entry = readdir(tasks)) n += entry->d_name[0] != '.';
  closedir(tasks);
  return n;
}

// An inventory whose reads throw: a handler bug, as the gateway must survive one.
class ThrowingInventory : public fakes::FakeInventory {
 public:
  using FakeInventory::FakeInventory;
  Result<InventoryLevels> Levels(const std::string&) override {
    throw std::runtime_error("inventory bug");
  }
};

TEST_SUITE("integration.gateway") {
  TEST_CASE("the challenge's curl is accepted and its event is on the topic") {
    LiveGateway gw;
    HttpClient client = gw.Client();
    HttpResult r = Post(client, testing::UniqueName("key"), Body(testing::UniqueName("b")));
    CHECK(r.status == 202);
    CHECK(r.Header("Location").rfind("/api/v1/bookings/", 0) == 0);
    CHECK(nlohmann::json::parse(r.body)["status"] == "ACCEPTED");
    CHECK(gw.MessagesOnTopic() == 1);
  }

  TEST_CASE("a replay answers the stored 202 and publishes nothing more") {
    LiveGateway gw;
    HttpClient client = gw.Client();
    const std::string key = testing::UniqueName("key"), body = Body(testing::UniqueName("b"));
    HttpResult first = Post(client, key, body);
    HttpResult second = Post(client, key, body);
    CHECK(first.status == 202);
    CHECK(second.status == 202);
    CHECK(second.Header("Idempotent-Replayed") == "true");
    CHECK(second.body == first.body);
    CHECK(gw.MessagesOnTopic() == 1);
  }

  TEST_CASE("same key with a different payload is 422") {
    LiveGateway gw;
    HttpClient client = gw.Client();
    const std::string key = testing::UniqueName("key"), id = testing::UniqueName("b");
    REQUIRE(Post(client, key, Body(id)).status == 202);
    HttpResult r = Post(client, key, Body(id, "5000.01"));
    CHECK(r.status == 422);
    CHECK(r.Header("Content-Type") == "application/problem+json");
    CHECK(gw.MessagesOnTopic() == 1);
  }

  TEST_CASE("same key while the first is in flight is 409 with Retry-After") {
    LiveGateway gw;
    HttpClient client = gw.Client();
    const std::string key = testing::UniqueName("key"), body = Body(testing::UniqueName("b"));
    // Another gateway instance holds the claim and has not finished.
    auto parsed = ParseBookingRequest(body, IntakeOptionsFrom(gw.config()).limits);
    RedisPipeline pipeline(gw.redis().config(), /*connections=*/1, /*max_outstanding=*/16);
    RedisIdempotencyStore store(gw.redis(), pipeline);
    std::promise<Result<IdempotencyClaim>> claimed;
    store.ClaimAsync(key, parsed.request->Fingerprint(), "other-instance", seconds(30),
                     std::chrono::hours(24),
                     [&](Result<IdempotencyClaim> c) { claimed.set_value(std::move(c)); });
    REQUIRE(claimed.get_future().get().ok());
    HttpResult r = Post(client, key, body);
    CHECK(r.status == 409);
    CHECK(r.Header("Retry-After") == "1");
    CHECK(gw.MessagesOnTopic() == 0);
  }

  TEST_CASE("50 concurrent identical requests publish exactly one event") {
    LiveGateway gw;
    const std::string key = testing::UniqueName("key"), body = Body(testing::UniqueName("b"));
    std::atomic<int> accepted{0}, conflicts{0}, other{0};
    std::vector<std::thread> threads;
    std::atomic<bool> go{false};
    for (int i = 0; i < 50; ++i) {
      threads.emplace_back([&] {
        HttpClient client = gw.Client();
        while (!go) std::this_thread::yield();
        auto r = client.Send("POST", "/api/v1/bookings", {{"Idempotency-Key", key}}, body);
        if (r.ok() && r->status == 202) {
          ++accepted;
        } else if (r.ok() && r->status == 409) {
          ++conflicts;
        } else {
          ++other;
          MESSAGE("unexpected answer: ",
                  r.ok() ? std::to_string(r->status) + " " + r->body : r.status().ToString());
        }
      });
    }
    go = true;
    for (auto& t : threads) t.join();
    CHECK(accepted + conflicts == 50);
    CHECK(other == 0);
    CHECK(accepted >= 1);
    CHECK(gw.MessagesOnTopic() == 1);
  }

  TEST_CASE("GET of an accepted booking the processor has not reached is 200 ACCEPTED, never 404") {
    LiveGateway gw;
    HttpClient client = gw.Client();
    const std::string key = testing::UniqueName("key"), id = testing::UniqueName("b");
    const std::string body =
        Body(id, "5000.00", "USD",
             R"(,"userId":"user-98765","checkInDate":"2026-12-24","checkOutDate":"2026-12-27")");
    HttpResult accepted = Post(client, key, body);
    REQUIRE(accepted.status == 202);
    const auto event_id = nlohmann::json::parse(accepted.body)["eventId"];

    HttpResult r = Get(client, id);
    REQUIRE_MESSAGE(r.status == 200, r.status, " ", r.body);
    CHECK(r.Header("Content-Type") == "application/json");
    auto view = nlohmann::json::parse(r.body);
    CHECK(view["bookingId"] == id);
    CHECK(view["propertyId"] == "prop-dubai-royal");
    CHECK(view["status"] == "ACCEPTED");
    CHECK(view["userId"] == "user-98765");
    CHECK(view["eventId"] == event_id);
    CHECK(view["payment"]["amount"] == "5000.00");
    CHECK(view["payment"]["amountMinor"] == 500000);
    CHECK(view["payment"]["currency"] == "USD");
    CHECK(view["payment"]["status"] == "PENDING");
    CHECK(view["dates"]["checkIn"] == "2026-12-24");
    CHECK(view["dates"]["checkOut"] == "2026-12-27");
    CHECK(view["auditLog"].empty());
    CHECK(view["createdAt"].is_string());

    // A replay stores nothing new and the view stays the same.
    HttpResult replay = Post(client, key, body);
    CHECK(replay.status == 202);
    CHECK(replay.Header("Idempotent-Replayed") == "true");
    HttpResult again = Get(client, id);
    CHECK(again.status == 200);
    CHECK(again.body == r.body);

    // Never accepted: 404, problem+json.
    HttpResult missing = Get(client, testing::UniqueName("never"));
    CHECK(missing.status == 404);
    CHECK(missing.Header("Content-Type") == "application/problem+json");
  }

  TEST_CASE("50 bookings read right after their 202: not one 404") {
    LiveGateway gw;
    HttpClient client = gw.Client();
    int not_found = 0, accepted_views = 0;
    for (int i = 0; i < 50; ++i) {
      const std::string id = testing::UniqueName("b");
      REQUIRE(Post(client, testing::UniqueName("key"), Body(id)).status == 202);
      HttpResult r = Get(client, id);
      not_found += r.status == 404 ? 1 : 0;
      accepted_views += r.status == 200 && nlohmann::json::parse(r.body)["status"] == "ACCEPTED";
    }
    CHECK(not_found == 0);
    CHECK(accepted_views == 50);
  }

  TEST_CASE("GET of an accepted booking: the status view wins once the processor has written it") {
    LiveGateway gw;
    HttpClient client = gw.Client();
    const std::string id = testing::UniqueName("b");
    REQUIRE(Post(client, testing::UniqueName("key"), Body(id)).status == 202);
    REQUIRE(nlohmann::json::parse(Get(client, id).body)["status"] == "ACCEPTED");

    BookingRecord record;
    record.request = {id, "prop-dubai-royal", "", {500000, "USD"}, "", ""};
    record.fingerprint = record.request.Fingerprint();
    record.status = BookingStatus::kReserved;
    record.created_at = record.updated_at = NowIso8601();
    record.audit_log = {{"RESERVED", record.created_at, "test"}};
    REQUIRE(gw.views().Put(StatusViewOf(record)).ok());
    HttpResult r = Get(client, id);
    CHECK(r.status == 200);
    CHECK(nlohmann::json::parse(r.body)["status"] == "RESERVED");
  }

  TEST_CASE("a status read is answered while Redis holds the gateway's writes back") {
    // Reads have connections of their own: one never waits in a round trip
    // of writes (under appendfsync always, an fsync each).
    LiveGateway gw({"redis.command_timeout_ms=20000"});
    const std::string id = testing::UniqueName("b");
    REQUIRE(gw.views()
                .Put({id, 2, "", false, R"({"bookingId":")" + id + R"(","status":"RESERVED"})"})
                .ok());
    auto own = RedisClient::Connect(gw.config().redis);  // not held back: it only reads
    REQUIRE(own.ok());
    // Declared first, so that whatever fails, the writes are let through
    // before the test waits for these requests' ends.
    std::vector<std::future<int>> posts;
    std::future<HttpResult> read;
    WritesHeldBack held(**own, kHoldBack);
    const int64_t lanes = gw.config().redis.pipeline_connections;
    for (int64_t i = 0; i < 2 * lanes; ++i) {  // round robin: each lane gets one
      posts.push_back(std::async(std::launch::async, [&gw] {
        HttpClient client = gw.Client(seconds(30));
        return Post(client, testing::UniqueName("key"), Body(testing::UniqueName("b"))).status;
      }));
    }
    REQUIRE_MESSAGE(testing::WaitUntil([&] { return BlockedClients(**own) >= lanes; }, kSetUp),
                    "Redis never held back ", lanes, " write connections");
    read = std::async(std::launch::async, [&gw, id] {
      HttpClient client = gw.Client(seconds(30));
      return Get(client, id);
    });
    REQUIRE(read.wait_for(kReadBound) == std::future_status::ready);
    HttpResult r = read.get();
    CHECK(r.status == 200);
    CHECK(nlohmann::json::parse(r.body)["status"] == "RESERVED");
    for (auto& post : posts) CHECK(post.wait_for(seconds(0)) == std::future_status::timeout);
    held.Release();
    for (auto& post : posts) CHECK(post.get() == 202);
  }

  TEST_CASE(
      "the accepted record of a booking is written with the idempotency record, or not at all") {
    LiveGateway gw({"kafka.brokers=127.0.0.1:1", "kafka.delivery_timeout_ms=1500"});
    HttpClient client = gw.Client();
    const std::string id = testing::UniqueName("b");
    REQUIRE(Post(client, testing::UniqueName("key"), Body(id)).status == 503);
    CHECK(Get(client, id).status == 404);  // a 503 accepted nothing
  }

  TEST_CASE("400: malformed JSON, wrong types, bad amounts, currencies, dates, missing key") {
    LiveGateway gw;
    HttpClient client = gw.Client();
    auto key = [] { return testing::UniqueName("key"); };
    struct Case {
      std::string body;
      std::vector<std::string> fields;
    };
    const std::vector<Case> cases = {
        {"{not json", {"body"}},
        {R"({"bookingId":1,"propertyId":"p","amount":"5","currency":"USD"})",
         {"bookingId", "amount"}},
        {Body("b", "-5"), {"amount"}},
        {Body("b", "0"), {"amount"}},
        {Body("b", "10.001"), {"amount"}},
        {Body("b", "10.5", "JPY"), {"amount"}},
        {Body("b", "5", "XYZ"), {"currency"}},
        {Body("b", "5", "USD", R"(,"checkInDate":"2025-02-30","checkOutDate":"2025-03-01")"),
         {"checkInDate"}},
        {Body("b", "5", "USD", R"(,"checkInDate":"2025-03-05","checkOutDate":"2025-03-01")"),
         {"checkOutDate"}},
    };
    for (const Case& c : cases) {
      HttpResult r = Post(client, key(), c.body);
      CHECK_MESSAGE(r.status == 400, c.body);
      CHECK(r.Header("Content-Type") == "application/problem+json");
      CHECK_MESSAGE(ProblemFields(r) == c.fields, c.body, " -> ", r.body);
    }
    HttpResult no_key = Post(client, "", Body("b"));
    CHECK(no_key.status == 400);
    CHECK(ProblemFields(no_key) == std::vector<std::string>{"Idempotency-Key"});
    CHECK(gw.MessagesOnTopic() == 0);
  }

  TEST_CASE("413 oversize body, 415 wrong content type, 405 wrong method, 404 unknown route") {
    LiveGateway gw;
    HttpClient client = gw.Client();
    HttpResult big = Post(client, "k-big", std::string(17 * 1024, ' ') + Body("b"));
    CHECK(big.status == 413);
    CHECK(big.Header("Content-Type") == "application/problem+json");
    CHECK(Post(client, "k-text", Body("b"), "text/plain").status == 415);
    auto get = client.Send("GET", "/api/v1/bookings");
    REQUIRE(get.ok());
    CHECK(get->status == 405);
    CHECK(get->Header("Allow") == "POST");
    auto missing = client.Send("GET", "/api/v1/nothing-here");
    REQUIRE(missing.ok());
    CHECK(missing->status == 404);
    CHECK(missing->Header("Content-Type") == "application/problem+json");
    CHECK(gw.MessagesOnTopic() == 0);
  }

  TEST_CASE("401 in api-key mode without a known key") {
    LiveGateway gw({"gateway.auth_mode=api-key", "gateway.api_keys=c1=s3cret-0123456789ab"});
    HttpClient client = gw.Client();
    CHECK(Post(client, "k1", Body("b")).status == 401);
    CHECK(
        Post(client, "k1", Body("b"), "application/json", {{"Authorization", "Bearer x"}}).status ==
        401);
    CHECK(Post(client, testing::UniqueName("key"), Body(testing::UniqueName("b")),
               "application/json", {{"Authorization", "Bearer s3cret-0123456789ab"}})
              .status == 202);
  }

  TEST_CASE("429 past a client's burst, with Retry-After; another client goes on") {
    LiveGateway gw({"gateway.auth_mode=api-key",
                    "gateway.api_keys=a=key-of-a-0123456789,b=key-of-b-0123456789",
                    "gateway.post_per_s=1", "gateway.post_burst=2", "gateway.get_per_s=1",
                    "gateway.get_burst=3"});
    HttpClient client = gw.Client();
    const Headers a = {{"Authorization", "Bearer key-of-a-0123456789"}};
    const Headers b = {{"Authorization", "Bearer key-of-b-0123456789"}};
    auto post = [&](const Headers& who) {
      return Post(client, testing::UniqueName("key"), Body(testing::UniqueName("b")),
                  "application/json", who);
    };
    // The bucket is taken before any other work, so requests refused for
    // their body count too; and they answer at once, with no publish whose
    // wait would give the bucket time to refill.
    CHECK(Post(client, "k", "{", "application/json", a).status == 400);
    CHECK(Post(client, "k", "{", "application/json", a).status == 400);
    const HttpResult refused = post(a);
    CHECK(refused.status == 429);
    CHECK(refused.Header("Retry-After") == "1");
    CHECK(refused.Header("Content-Type") == "application/problem+json");
    const auto problem = nlohmann::json::parse(refused.body);
    CHECK(problem["status"] == 429);
    CHECK(problem["detail"].get<std::string>().find("over its rate") != std::string::npos);
    CHECK(post(b).status == 202);  // b's bucket is its own
    // Reads have buckets of their own; a client without a key is its address.
    for (int i = 0; i < 3; ++i) CHECK(Get(client, "unknown-id", a).status == 404);
    CHECK(Get(client, "unknown-id", a).status == 429);
    CHECK(Get(client, "unknown-id", b).status == 404);
    for (int i = 0; i < 3; ++i) CHECK(Get(client, "unknown-id").status == 401);
    const HttpResult by_address = Get(client, "unknown-id");
    CHECK(by_address.status == 429);
    CHECK(by_address.body.find("address 127.0.0.1") != std::string::npos);
    CHECK(MetricValue(client,
                      "gateway_http_requests_total{route=\"POST /api/v1/bookings\","
                      "status=\"429\"}") == 1);
  }

  TEST_CASE("Kafka unreachable: 503 with Retry-After, and the key is free for a retry") {
    LiveGateway gw({"kafka.brokers=127.0.0.1:1", "kafka.delivery_timeout_ms=1500"});
    HttpClient client = gw.Client();
    const std::string key = testing::UniqueName("key");
    HttpResult r = Post(client, key, Body(testing::UniqueName("b")));
    CHECK(r.status == 503);
    CHECK(r.Header("Retry-After") == "1");
    auto record =
        gw.redis().Command({"EXISTS", RedisIdempotencyStore::RedisKey(gw.redis().config(), key)});
    REQUIRE(record.ok());
    CHECK(record->integer == 0);  // nothing half-done: no claim left behind
  }

  TEST_CASE("health, readiness, metrics and the OpenAPI document") {
    LiveGateway gw;
    HttpClient client = gw.Client();
    CHECK(client.Send("GET", "/healthz")->status == 200);
    CHECK(client.Send("GET", "/readyz")->status == 200);
    REQUIRE(Post(client, testing::UniqueName("key"), Body(testing::UniqueName("b"))).status == 202);
    auto metrics = client.Send("GET", "/metrics");
    REQUIRE(metrics.ok());
    CHECK(metrics->body.find(
              R"(gateway_http_requests_total{route="POST /api/v1/bookings",status="202"} 1)") !=
          std::string::npos);
    CHECK(metrics->body.find("gateway_publish_seconds_count 1") != std::string::npos);
    auto openapi = client.Send("GET", "/openapi.yaml");
    REQUIRE(openapi.ok());
    CHECK(openapi->body.rfind("openapi: 3.0.3", 0) == 0);
  }
  TEST_CASE("bytes that are not UTF-8 are a 400 naming the field, UTF-16 a 400, never a 500") {
    LiveGateway gw;
    HttpClient client = gw.Client();
    HttpResult bad_id = Post(client, testing::UniqueName("key"), Body("b-\xff"));
    CHECK(bad_id.status == 400);
    CHECK(bad_id.Header("Content-Type") == "application/problem+json");
    CHECK(ProblemFields(bad_id) == std::vector<std::string>{"bookingId"});
    std::string utf16 = "\xff\xfe";
    for (char c : Body("b")) utf16 += std::string{c, '\0'};
    HttpResult wide = Post(client, testing::UniqueName("key"), utf16);
    CHECK(wide.status == 400);
    CHECK(ProblemFields(wide) == std::vector<std::string>{"body"});
    // Bytes echoed from the path and from a header.
    auto path = testing::RawHttpExchange(
        gw.port(), RawRequest("GET", "/api/v1/%FF%FE", {"Connection: close"}), seconds(5));
    CHECK(path.status == 404);
    CHECK(nlohmann::json::parse(path.body).is_object());
    auto type = testing::RawHttpExchange(
        gw.port(),
        RawRequest("POST", "/api/v1/bookings",
                   {"Idempotency-Key: k-type", "Content-Type: text/\xff",
                    "Content-Length: " + std::to_string(Body("b").size()), "Connection: close"},
                   Body("b")),
        seconds(5));
    CHECK(type.status == 415);
    CHECK(nlohmann::json::parse(type.body).is_object());
    // Every answer is in the request metrics, with its status.
    CHECK(MetricValue(
              client,
              R"(gateway_http_requests_total{route="POST /api/v1/bookings",status="400"})") == 2);
    CHECK(MetricValue(
              client,
              R"(gateway_http_requests_total{route="POST /api/v1/bookings",status="415"})") == 1);
    CHECK(gw.MessagesOnTopic() == 0);
  }

  TEST_CASE("a handler that throws is a 500 problem, counted in the request metrics") {
    fakes::Faults faults;
    ThrowingInventory inventory(faults);
    LiveGateway gw({}, &inventory);
    HttpClient client = gw.Client();
    auto r = client.Send("GET", "/api/v1/properties/p-1/inventory");
    REQUIRE(r.ok());
    CHECK(r->status == 500);
    CHECK(r->Header("Content-Type") == "application/problem+json");
    CHECK(
        MetricValue(
            client,
            R"(gateway_http_requests_total{route="GET /api/v1/properties/{id}/inventory",status="500"})") ==
        1);
  }

  TEST_CASE("100 concurrent /readyz on a healthy stack: all 200, no client or thread per probe") {
    LiveGateway gw;
    REQUIRE(gw.Client().Send("GET", "/readyz")->status == 200);
    constexpr int kProbes = 100;
    constexpr int kThreadSlack = 8;  // librdkafka may start a broker thread on its own
    std::atomic<int> parked{0}, ready{0}, other{0};
    std::atomic<bool> go{false}, done{false};
    std::vector<std::thread> probes;
    for (int i = 0; i < kProbes; ++i) {
      probes.emplace_back([&] {
        HttpClient client = gw.Client();
        ++parked;
        while (!go) std::this_thread::yield();
        auto r = client.Send("GET", "/readyz");
        if (r.ok() && r->status == 200) {
          ++ready;
        } else {
          ++other;
          MESSAGE("readyz: ",
                  r.ok() ? std::to_string(r->status) + " " + r->body : r.status().ToString());
        }
      });
    }
    std::atomic<int> peak{0};
    std::thread sampler([&] {
      while (!done) {
        peak = std::max(peak.load(), ThreadsOfThisProcess());
        std::this_thread::sleep_for(milliseconds(1));  // sampling, not waiting for a condition
      }
    });
    while (parked < kProbes) std::this_thread::yield();
    const int before = ThreadsOfThisProcess();
    go = true;
    for (auto& t : probes) t.join();
    done = true;
    sampler.join();
    MESSAGE("threads before the burst ", before, ", at its peak ", peak.load());
    CHECK(ready == kProbes);
    CHECK(other == 0);
    CHECK_MESSAGE(peak - before <= kThreadSlack, "threads before ", before, ", peak ", peak.load());
  }

  TEST_CASE("/readyz with Kafka unreachable is a 503 within the probe's bound") {
    LiveGateway gw({"kafka.brokers=127.0.0.1:1"});
    HttpClient client = gw.Client();
    const auto start = std::chrono::steady_clock::now();
    auto r = client.Send("GET", "/readyz");
    REQUIRE(r.ok());
    CHECK(r->status == 503);
    CHECK(r->Header("Content-Type") == "application/problem+json");
    CHECK(std::chrono::steady_clock::now() - start < seconds(3));
  }

  TEST_CASE("a fatal producer error: /readyz is 503 naming it, then ready and 202 again") {
    LiveGateway gw;
    HttpClient client = gw.Client();
    REQUIRE(Post(client, testing::UniqueName("key"), Body(testing::UniqueName("b"))).status == 202);
    REQUIRE(gw.producer().TestFatalError("gateway test").ok());
    auto r = client.Send("GET", "/readyz");
    REQUIRE(r.ok());
    MESSAGE("readyz after the fatal error: ", r->status, " ", r->body);
    CHECK(r->status == 503);
    CHECK(r->body.find("test_fatal_error: gateway test") != std::string::npos);
    // The producer is rebuilt: ready again, and a booking is accepted.
    int ready = 0;
    testing::WaitUntil(
        [&] {
          auto again = client.Send("GET", "/readyz");
          ready = again.ok() ? again->status : 0;
          return ready == 200;
        },
        seconds(10));
    CHECK(ready == 200);
    HttpResult after = Post(client, testing::UniqueName("key"), Body(testing::UniqueName("b")));
    CHECK_MESSAGE(after.status == 202, after.body);
    CHECK(gw.MessagesOnTopic() == 2);
  }

  TEST_CASE("TRACE, OPTIONS and unknown methods on a known route are 405 with Allow") {
    LiveGateway gw;
    struct Case {
      std::string method, target;
      int status;
      std::string allow;
    };
    const Case cases[] = {
        {"TRACE", "/healthz", 405, "GET, HEAD"},
        {"OPTIONS", "/healthz", 405, "GET, HEAD"},
        {"CONNECT", "/healthz", 405, "GET, HEAD"},
        {"FOO", "/healthz", 405, "GET, HEAD"},
        {"TRACE", "/api/v1/bookings", 405, "POST"},
        {"DELETE", "/api/v1/bookings/b-1", 405, "GET, HEAD"},
        {"POST", "/metrics", 405, "GET, HEAD"},
        {"TRACE", "/nowhere", 404, ""},
    };
    for (const Case& c : cases) {
      auto r = testing::RawHttpExchange(
          gw.port(), RawRequest(c.method, c.target, {"Connection: close"}), seconds(5));
      CHECK_MESSAGE(r.status == c.status, c.method, " ", c.target);
      CHECK_MESSAGE(r.Header("Allow") == c.allow, c.method, " ", c.target);
      CHECK(r.Header("Content-Type") == "application/problem+json");
    }
  }

  TEST_CASE("HEAD on every GET route answers as GET does, without the body") {
    LiveGateway gw;
    HttpClient client = gw.Client();
    const std::string id = testing::UniqueName("b");
    REQUIRE(Post(client, testing::UniqueName("key"), Body(id)).status == 202);
    const std::vector<std::string> paths = {"/healthz",
                                            "/readyz",
                                            "/metrics",
                                            "/openapi.yaml",
                                            "/api/v1/bookings/" + id,
                                            "/api/v1/bookings/never-accepted",
                                            "/api/v1/properties/prop-x/inventory"};
    for (const std::string& path : paths) {
      auto get = testing::RawHttpExchange(gw.port(), RawRequest("GET", path, {"Connection: close"}),
                                          seconds(5));
      auto head = testing::RawHttpExchange(
          gw.port(), RawRequest("HEAD", path, {"Connection: close"}), seconds(5), /*head=*/true);
      REQUIRE_MESSAGE(head.complete, path);
      CHECK_MESSAGE(head.status == get.status, path);
      CHECK_MESSAGE(head.Header("Content-Type") == get.Header("Content-Type"), path);
      CHECK_MESSAGE(head.body.empty(), path);
      if (path == "/healthz" || path == "/openapi.yaml") {
        CHECK_MESSAGE(head.Header("Content-Length") == get.Header("Content-Length"), path);
      }
    }
  }

  TEST_CASE("a Content-Length that cannot be served is answered at once, before any body") {
    LiveGateway gw;
    // The server's read timeout is 5 s: an answer within 2 s did not wait for a body.
    constexpr auto kBound = seconds(2);
    struct Case {
      std::vector<std::string> headers;
      int status;
    };
    const Case cases[] = {
        {{"Content-Length: -1"}, 400},
        {{"Content-Length: abc"}, 400},
        {{"Content-Length: 12abc"}, 400},
        {{"Content-Length: 5", "Content-Length: 6"}, 400},
        {{"Content-Length: 99999999999999999999"}, 413},
        {{"Content-Length: 17000"}, 413},
        {{"Transfer-Encoding: chunked"}, 411},
        // 16 KiB of gzip can inflate to 16 MiB: compressed bodies are refused unread.
        {{"Content-Length: 20", "Content-Encoding: gzip"}, 415},
        {{}, 400},  // no length: an empty body (RFC 9112 6.3), which is not JSON
    };
    for (const Case& c : cases) {
      std::vector<std::string> headers = c.headers;
      headers.push_back("Content-Type: application/json");
      headers.push_back("Idempotency-Key: " + testing::UniqueName("key"));
      auto r = testing::RawHttpExchange(gw.port(), RawRequest("POST", "/api/v1/bookings", headers),
                                        kBound);
      const std::string label = c.headers.empty() ? "no length" : c.headers[0];
      REQUIRE_MESSAGE(r.complete, label, ": no answer within 2 s");
      CHECK_MESSAGE(r.status == c.status, label);
      CHECK_MESSAGE(r.Header("Content-Type") == "application/problem+json", label);
    }
    CHECK(gw.MessagesOnTopic() == 0);
  }

  TEST_CASE("two Idempotency-Key headers are a 400 naming the header") {
    LiveGateway gw;
    auto r =
        testing::RawHttpExchange(gw.port(),
                                 RawPost(Body(testing::UniqueName("b")),
                                         {"Idempotency-Key: " + testing::UniqueName("first"),
                                          "Idempotency-Key: " + testing::UniqueName("second")}),
                                 seconds(5));
    CHECK(r.status == 400);
    CHECK(r.Header("Content-Type") == "application/problem+json");
    CHECK(ProblemFields(r.body) == std::vector<std::string>{"Idempotency-Key"});
    CHECK(gw.MessagesOnTopic() == 0);
  }

  TEST_CASE("an amount in exponent form is read exactly") {
    LiveGateway gw;
    HttpClient client = gw.Client();
    const std::string id = testing::UniqueName("b");
    REQUIRE(Post(client, testing::UniqueName("key"), Body(id, "1.5e2")).status == 202);
    auto view = nlohmann::json::parse(Get(client, id).body);
    CHECK(view["payment"]["amount"] == "150.00");
    CHECK(view["payment"]["amountMinor"] == 15000);
    HttpResult precise = Post(client, testing::UniqueName("key"), Body("b", "1e-3"));
    CHECK(precise.status == 400);
    CHECK(ProblemFields(precise) == std::vector<std::string>{"amount"});
  }
}

// Issue 17: with gateway.auth_mode=api-key every route that reveals or
// changes a booking asks for a key, and a booking is its own client's.
TEST_SUITE("integration.gateway_auth") {
  const std::vector<std::string> kTwoClients = {
      "gateway.auth_mode=api-key", "gateway.api_keys=a=key-of-a-0123456789,b=key-of-b-0123456789"};
  const Headers kA = {{"Authorization", "Bearer key-of-a-0123456789"}};
  const Headers kB = {{"Authorization", "bearer key-of-b-0123456789"}};  // any case (RFC 9110)

  TEST_CASE("a booking is read only with the key that booked it; another key gets 404") {
    LiveGateway gw(kTwoClients);
    HttpClient client = gw.Client();
    const std::string id = testing::UniqueName("b");
    REQUIRE(Post(client, testing::UniqueName("key"), Body(id), "application/json", kA).status ==
            202);

    HttpResult anonymous = Get(client, id);
    CHECK(anonymous.status == 401);
    CHECK(anonymous.Header("WWW-Authenticate") == "Bearer");
    CHECK(anonymous.body.find("5000") == std::string::npos);
    CHECK(Get(client, id, {{"Authorization", "Bearer nope"}}).status == 401);
    HttpResult owner = Get(client, id, kA);
    CHECK(owner.status == 200);
    CHECK(nlohmann::json::parse(owner.body)["status"] == "ACCEPTED");
    // Another client: as if the id had never been booked (a 403 would say it was).
    HttpResult other = Get(client, id, kB);
    HttpResult never = Get(client, testing::UniqueName("never"), kB);
    CHECK(other.status == 404);
    CHECK(never.status == 404);
    CHECK(nlohmann::json::parse(other.body)["title"] == nlohmann::json::parse(never.body)["title"]);

    // Once the processor has written its status view, the view decides.
    const std::string booked = testing::UniqueName("b");
    BookingRecord record;
    // Stored under client a's scope, as its processor stores it (kClientScope).
    record.request = {
        ScopedBookingId("a", booked), "prop-dubai-royal", "", {500000, "USD"}, "", ""};
    record.fingerprint = record.request.Fingerprint();
    record.client_id = "a";
    record.status = BookingStatus::kReserved;
    record.created_at = record.updated_at = NowIso8601();
    record.audit_log = {{"RESERVED", record.created_at, "test"}};
    REQUIRE(gw.views().Put(StatusViewOf(record)).ok());
    CHECK(Get(client, booked, kA).status == 200);
    CHECK(Get(client, booked, kB).status == 404);
    CHECK(Get(client, booked).status == 401);
  }

  TEST_CASE("the inventory needs a key; health, readiness, metrics and the document do not") {
    LiveGateway gw(kTwoClients);
    HttpClient client = gw.Client();
    const std::string path = "/api/v1/properties/" + testing::UniqueName("p") + "/inventory";
    auto anonymous = client.Send("GET", path);
    REQUIRE(anonymous.ok());
    CHECK(anonymous->status == 401);
    auto keyed = client.Send("GET", path, kB);
    REQUIRE(keyed.ok());
    // Past the key (this test gateway has no inventory store: 503).
    CHECK_MESSAGE(keyed->status != 401, keyed->status);
    for (const char* open : {"/healthz", "/metrics", "/openapi.yaml"}) {
      auto r = client.Send("GET", open);
      REQUIRE(r.ok());
      CHECK_MESSAGE(r->status == 200, open, " answered ", r->status);
    }
    auto ready = client.Send("GET", "/readyz");
    REQUIRE(ready.ok());
    CHECK(ready->status != 401);
  }

  TEST_CASE("two clients may use one Idempotency-Key: two bookings, neither replayed") {
    LiveGateway gw(kTwoClients);
    HttpClient client = gw.Client();
    const std::string key = testing::UniqueName("shared");
    HttpResult a = Post(client, key, Body(testing::UniqueName("b")), "application/json", kA);
    // A different payload under the same key: not 422, it is another client's key.
    HttpResult b = Post(client, key, Body(testing::UniqueName("b")), "application/json", kB);
    CHECK(a.status == 202);
    CHECK(b.status == 202);
    CHECK(b.Header("Idempotent-Replayed") != "true");
    CHECK(nlohmann::json::parse(a.body)["eventId"] != nlohmann::json::parse(b.body)["eventId"]);
    HttpResult again = Post(client, key, Body("other-payload"), "application/json", kA);
    CHECK(again.status == 422);  // client A's own key, reused with another payload
    CHECK(gw.MessagesOnTopic() == 2);
  }

  TEST_CASE("two clients may use one bookingId: each reads its own booking under it") {
    LiveGateway gw(kTwoClients);
    HttpClient client = gw.Client();
    const std::string id = testing::UniqueName("b");
    HttpResult a = Post(client, testing::UniqueName("key"), Body(id), "application/json", kA);
    HttpResult b =
        Post(client, testing::UniqueName("key"), Body(id, "7.00"), "application/json", kB);
    REQUIRE(a.status == 202);
    REQUIRE(b.status == 202);
    CHECK(a.Header("Location") == "/api/v1/bookings/" + id);
    CHECK(nlohmann::json::parse(b.body)["bookingId"] == id);
    const auto shown_a = nlohmann::json::parse(Get(client, id, kA).body);
    const auto shown_b = nlohmann::json::parse(Get(client, id, kB).body);
    CHECK(shown_a["bookingId"] == id);
    CHECK(shown_b["bookingId"] == id);
    CHECK(shown_a["payment"]["amount"] == "5000.00");
    CHECK(shown_b["payment"]["amount"] == "7.00");
    CHECK(gw.MessagesOnTopic() == 2);
  }
}

}  // namespace
}  // namespace wanderluxe
