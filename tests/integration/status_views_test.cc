// RedisStatusViews and RedisStatusReads against the live Redis, and on a Redis
// Cluster the test starts: the monotonic Put under racing writers, the TTL,
// a missing and an unreadable view, and the gateway's one-MGET read.
#include <doctest/doctest.h>

#include <future>
#include <memory>
#include <thread>
#include <vector>

#include "adapters/redis/redis_client.h"
#include "adapters/redis/redis_connect.h"
#include "adapters/redis/redis_idempotency_store.h"
#include "adapters/redis/redis_pipeline.h"
#include "adapters/redis/redis_status_reads.h"
#include "adapters/redis/redis_status_views.h"
#include "support/child_process.h"
#include "support/redis_cluster_fixture.h"
#include "support/servers.h"
#include "wanderluxe/booking_event.h"

namespace wanderluxe {
namespace {

// Writers racing on one booking, and the versions each writes.
constexpr int kRacingWriters = 4;
constexpr int kVersionsEach = 50;

StatusView ViewAt(const std::string& booking_id, int64_t version, bool terminal = false) {
  return {booking_id, version, "client-a", terminal,
          R"({"bookingId":")" + booking_id + R"(","version":)" + std::to_string(version) + "}"};
}

Result<BookingStatusRead> ReadNow(StatusReads& reads, const std::string& booking_id) {
  std::promise<Result<BookingStatusRead>> answered;
  reads.ReadAsync(booking_id,
                  [&](Result<BookingStatusRead> r) { answered.set_value(std::move(r)); });
  return answered.get_future().get();
}

// An accepted record as the gateway's completion writes it.
void WriteAccepted(RedisCommands& redis, const std::string& booking_id) {
  BookingEvent event;
  event.event_id = "e-" + booking_id;
  event.timestamp = "2026-11-26T00:00:00.000Z";
  event.request = {booking_id, "p", "u", {100, "USD"}, "", ""};
  event.metadata.client_id = "client-a";
  auto set = redis.Command({"SET", RedisIdempotencyStore::AcceptedKey(redis.config(), booking_id),
                            EncodeBookingEvent(event), "EX", "60"});
  REQUIRE_MESSAGE(set.ok(), set.status().ToString());
}

// The read path on any Redis: nothing, an accepted record, then a view over it.
void CheckReads(RedisCommands& redis, StatusViews& views, StatusReads& reads) {
  const std::string id = testing::UniqueName("read");
  auto nothing = ReadNow(reads, id);
  REQUIRE_MESSAGE(nothing.ok(), nothing.status().ToString());
  CHECK(!nothing->view);
  CHECK(!nothing->accepted);
  WriteAccepted(redis, id);
  auto accepted = ReadNow(reads, id);
  REQUIRE_MESSAGE(accepted.ok(), accepted.status().ToString());
  CHECK(!accepted->view);
  REQUIRE(accepted->accepted);
  CHECK(accepted->accepted->request.booking_id == id);
  CHECK(accepted->accepted->client_id == "client-a");
  REQUIRE(views.Put(ViewAt(id, 3, /*terminal=*/true)).ok());
  auto viewed = ReadNow(reads, id);
  REQUIRE_MESSAGE(viewed.ok(), viewed.status().ToString());
  REQUIRE(viewed->view);
  CHECK(*viewed->view == ViewAt(id, 3, true));
  CHECK(!viewed->accepted);  // the view replaces it
}

struct LiveViews {
  LiveViews() : config(testing::LiveConfig()), pipeline(config.redis, 1, 1024) {
    auto client = RedisClient::Connect(config.redis);
    REQUIRE_MESSAGE(client.ok(), client.status().ToString(), " -- start it with scripts/stack up");
    redis = std::move(*client);
    views = std::make_unique<RedisStatusViews>(*redis);
    reads = std::make_unique<RedisStatusReads>(pipeline);
  }
  Config config;
  RedisPipeline pipeline;
  std::unique_ptr<RedisClient> redis;
  std::unique_ptr<RedisStatusViews> views;
  std::unique_ptr<RedisStatusReads> reads;
};

TEST_SUITE("integration.status_views") {
  TEST_CASE_FIXTURE(LiveViews, "a view round-trips; a missing one is nullopt") {
    const std::string id = testing::UniqueName("view");
    auto missing = views->Get(id);
    REQUIRE_MESSAGE(missing.ok(), missing.status().ToString());
    CHECK(!missing->has_value());
    StatusView view = ViewAt(id, 7, /*terminal=*/true);
    view.body = "{\"any\":\"bytes \x1e after the header\"}";
    REQUIRE(views->Put(view).ok());
    auto got = views->Get(id);
    REQUIRE_MESSAGE(got.ok(), got.status().ToString());
    REQUIRE(got->has_value());
    CHECK(**got == view);
  }

  TEST_CASE_FIXTURE(LiveViews, "PutMany down the pipeline: every view in, each monotonic") {
    RedisStatusViews batched(*redis, &pipeline);
    const std::string prefix = testing::UniqueName("many");
    REQUIRE(batched.Put(ViewAt(prefix + "-0", 9, true)).ok());  // newer than the batch's
    std::vector<StatusView> views_in;
    for (int i = 0; i < 200; ++i) views_in.push_back(ViewAt(prefix + "-" + std::to_string(i), 3));
    Status put = batched.PutMany(views_in);
    REQUIRE_MESSAGE(put.ok(), put.ToString());
    CHECK(views->Get(prefix + "-0")->value() == ViewAt(prefix + "-0", 9, true));
    for (int i = 1; i < 200; ++i) {
      const std::string id = prefix + "-" + std::to_string(i);
      auto got = views->Get(id);
      REQUIRE((got.ok() && got->has_value()));
      CHECK(**got == ViewAt(id, 3));
    }
    StatusView bad = ViewAt(prefix + "-bad", 1);
    bad.client_id = std::string("a") + char(0x1e) + "b";
    CHECK(batched.PutMany({ViewAt(prefix + "-x", 1), bad}).code() == StatusCode::kInvalidArgument);
  }

  TEST_CASE_FIXTURE(LiveViews, "Put replaces only with a higher version") {
    const std::string id = testing::UniqueName("view");
    REQUIRE(views->Put(ViewAt(id, 5)).ok());
    REQUIRE(views->Put(ViewAt(id, 4, true)).ok());  // older: kept out
    CHECK(views->Get(id)->value() == ViewAt(id, 5));
    StatusView same = ViewAt(id, 5, true);
    REQUIRE(views->Put(same).ok());  // equal: kept out
    CHECK(views->Get(id)->value() == ViewAt(id, 5));
    REQUIRE(views->Put(ViewAt(id, 6, true)).ok());
    CHECK(views->Get(id)->value() == ViewAt(id, 6, true));
  }

  TEST_CASE_FIXTURE(LiveViews, "racing writers leave the highest version") {
    const std::string id = testing::UniqueName("view");
    std::vector<std::thread> writers;
    std::vector<int> failures(kRacingWriters, 0);
    for (int w = 0; w < kRacingWriters; ++w) {
      writers.emplace_back([&, w] {
        // Writer w writes versions w+1, w+1+kRacingWriters, ... in
        // descending order, so each of its writes is older than its last.
        for (int i = kVersionsEach - 1; i >= 0; --i) {
          const int64_t version = 1 + w + static_cast<int64_t>(i) * kRacingWriters;
          if (!views->Put(ViewAt(id, version)).ok()) ++failures[w];
        }
      });
    }
    for (auto& t : writers) t.join();
    for (int w = 0; w < kRacingWriters; ++w) CHECK(failures[w] == 0);
    auto got = views->Get(id);
    REQUIRE(got.ok());
    REQUIRE(got->has_value());
    CHECK((*got)->version == static_cast<int64_t>(kRacingWriters) * kVersionsEach);
  }

  TEST_CASE_FIXTURE(LiveViews, "a view lives redis.status_view_ttl_s from its last write") {
    const std::string id = testing::UniqueName("view");
    REQUIRE(views->Put(ViewAt(id, 1)).ok());
    auto ttl = redis->Command({"PTTL", RedisStatusViews::Key(config.redis, id)});
    REQUIRE(ttl.ok());
    const int64_t full_ms = config.redis.status_view_ttl_s * 1000;
    CHECK(ttl->integer > full_ms - 60'000);
    CHECK(ttl->integer <= full_ms);
  }

  TEST_CASE_FIXTURE(LiveViews, "an unreadable view is an error naming its key") {
    const std::string id = testing::UniqueName("view");
    const std::string key = RedisStatusViews::Key(config.redis, id);
    REQUIRE(redis->Command({"SET", key, "not a view", "EX", "60"}).ok());
    auto got = views->Get(id);
    REQUIRE(!got.ok());
    CHECK(got.status().code() == StatusCode::kInternal);
    CHECK(got.status().message().find(key) != std::string::npos);
    auto read = ReadNow(*reads, id);
    REQUIRE(!read.ok());
    CHECK(read.status().message().find(key) != std::string::npos);
    // A newer write replaces what cannot be read.
    REQUIRE(views->Put(ViewAt(id, 1)).ok());
    CHECK(views->Get(id)->value() == ViewAt(id, 1));
  }

  TEST_CASE_FIXTURE(LiveViews, "a clientId holding the separator is refused") {
    StatusView view = ViewAt(testing::UniqueName("view"), 1);
    view.client_id =
        "a\x1e"
        "b";
    CHECK(views->Put(view).code() == StatusCode::kInvalidArgument);
  }

  TEST_CASE_FIXTURE(LiveViews, "one MGET: nothing, the accepted record, then the view") {
    CheckReads(*redis, *views, *reads);
  }

  TEST_CASE("on a Redis Cluster: the view and the accepted record share a slot, one MGET") {
    testing::RedisClusterFixture cluster(3, 0);
    RedisConfig config = cluster.Config();
    config.mode = "cluster";
    config.property_tag = "{%s}";
    auto redis = ConnectRedis(config);
    REQUIRE_MESSAGE(redis.ok(), redis.status().ToString());
    std::unique_ptr<RedisAsyncCommands> async = CreateRedisAsync(**redis);
    RedisStatusViews views(**redis);
    RedisStatusReads reads(*async);
    // Bookings on every master: some id lands on each.
    for (int i = 0; i < 6; ++i) CheckReads(**redis, views, reads);
    const std::string id = testing::UniqueName("view");
    REQUIRE(views.Put(ViewAt(id, 2)).ok());
    REQUIRE(views.Put(ViewAt(id, 1, true)).ok());
    CHECK(views.Get(id)->value() == ViewAt(id, 2));
  }
}

}  // namespace
}  // namespace wanderluxe
