// The Redis Cluster client against a real cluster the test starts itself
// (support/redis_cluster_fixture.h): routing by slot, scripts within one
// slot, MOVED and ASK, and a master's failover.
#include <doctest/doctest.h>
#include <signal.h>

#include <signal.h>
#include <cstring>

#include <atomic>
#include <chrono>
#include <random>
#include <set>
#include <thread>

#include "adapters/redis/redis_cluster.h"
#include "support/child_process.h"
#include "support/redis_cluster_fixture.h"
#include "support/servers.h"

namespace wanderluxe {
namespace {

using std::chrono::milliseconds;
using testing::RedisClusterFixture;

std::unique_ptr<RedisClusterClient> ConnectOrFail(const RedisConfig& config) {
  auto client = RedisClusterClient::Connect(config);
  REQUIRE_MESSAGE(client.ok(), "the test's Redis Cluster at ", config.host, ":", config.port, ": ",
                  client.status().ToString());
  return std::move(*client);
}

// A key (with prefix `prefix`) whose slot master `port` serves, as `client` sees it.
std::string KeyOn(RedisClusterClient& client, int port, const std::string& prefix) {
  for (int i = 0;; ++i) {
    const std::string key = prefix + std::to_string(i);
    auto master = client.MasterOf(RedisKeySlot(key));
    REQUIRE(master.ok());
    if (master->port == port) return key;
  }
}

int64_t DbSize(RedisClusterFixture& cluster, int port) {
  auto size = cluster.On(port, {"DBSIZE"});
  REQUIRE_MESSAGE(size.ok(), size.status().ToString());
  return size->integer;
}

const RedisScript kSetBothGetBoth{"set-both-get-both", R"(
redis.call('SET', KEYS[1], ARGV[1])
redis.call('SET', KEYS[2], ARGV[2])
return redis.call('MGET', KEYS[1], KEYS[2])
)"};

// Moves `slot` from master `from` to master `to` as redis-cli --cluster
// reshard does, for `keys` (all in that slot); `finish`: the slot then
// belongs to `to` on every master, else it stays MIGRATING/IMPORTING.
void Migrate(RedisClusterFixture& cluster, int slot, int from, int to,
             const std::vector<std::string>& keys, bool finish) {
  const std::string s = std::to_string(slot);
  const std::string to_id = cluster.NodeId(to);
  REQUIRE(cluster.On(to, {"CLUSTER", "SETSLOT", s, "IMPORTING", cluster.NodeId(from)}).ok());
  REQUIRE(cluster.On(from, {"CLUSTER", "SETSLOT", s, "MIGRATING", to_id}).ok());
  if (!keys.empty()) {
    std::vector<std::string> migrate = {"MIGRATE", "127.0.0.1", std::to_string(to), "", "0",
                                        "5000",    "KEYS"};
    migrate.insert(migrate.end(), keys.begin(), keys.end());
    auto moved = cluster.On(from, migrate);
    REQUIRE_MESSAGE(moved.ok(), moved.status().ToString());
  }
  if (!finish) return;
  // The target first, then the source, then everyone else (the specification's order).
  REQUIRE(cluster.On(to, {"CLUSTER", "SETSLOT", s, "NODE", to_id}).ok());
  REQUIRE(cluster.On(from, {"CLUSTER", "SETSLOT", s, "NODE", to_id}).ok());
  for (const int port : cluster.master_ports()) {
    if (port != to && port != from) {
      REQUIRE(cluster.On(port, {"CLUSTER", "SETSLOT", s, "NODE", to_id}).ok());
    }
  }
}

// The replication offset the master on `port` has sent, and the one its
// first replica acknowledged (INFO replication).
std::pair<int64_t, int64_t> ReplicationOffsets(RedisClusterFixture& cluster, int port) {
  auto info = cluster.On(port, {"INFO", "replication"});
  REQUIRE_MESSAGE(info.ok(), info.status().ToString());
  const std::string& text = info->text;
  auto number_after = [&](const std::string& label) -> int64_t {
    const size_t at = text.find(label);
    return at == std::string::npos ? -1 : std::stoll(text.substr(at + label.size()));
  };
  const size_t replica = text.find("slave0:");
  int64_t acknowledged = -1;
  if (replica != std::string::npos) {
    const size_t offset = text.find("offset=", replica);
    if (offset != std::string::npos) acknowledged = std::stoll(text.substr(offset + 7));
  }
  return {number_after("master_repl_offset:"), acknowledged};
}

// A master SIGKILLed (its connections refused) or SIGSTOPped (silent: every
// call to it spends its whole deadline): either way its replica takes over
// and the client's reads find it in bounded time.
void ReadsFollowTheFailover(int signo) {
  // cluster-node-timeout 1000 ms: the replica starts its election about
  // 1-2 s after the master went silent.
  RedisClusterFixture cluster(3, 3, /*node_timeout_ms=*/1000);
  RedisConfig config = cluster.Config();
  config.command_timeout_ms = 500;
  auto client = ConnectOrFail(config);
  const int victim = cluster.master_port(1);
  const int heir = cluster.replica_port(1);
  const std::string key = KeyOn(*client, victim, "failover:");
  const int slot = RedisKeySlot(key);
  REQUIRE(client->Command({"SET", key, "kept"}).ok());
  // Replication is asynchronous: wait until the replica acknowledged the write.
  const bool replicated = testing::WaitUntil(
      [&] {
        const auto [sent, acknowledged] = ReplicationOffsets(cluster, victim);
        return sent > 0 && acknowledged >= sent;
      },
      std::chrono::seconds(10));
  REQUIRE_MESSAGE(replicated, "the replica never acknowledged the write");

  const auto killed = std::chrono::steady_clock::now();
  if (signo == SIGKILL) {
    cluster.Kill(victim);
  } else {
    cluster.Signal(victim, signo);
  }
  int failures = 0;
  std::map<StatusCode, int> codes;
  Result<RedisReply> got = Status::Unavailable("not tried");
  const bool served = testing::WaitUntil(
      [&] {
        got = client->Command({"GET", key});
        if (!got.ok()) {
          ++failures;
          ++codes[got.status().code()];
        }
        return got.ok();
      },
      std::chrono::seconds(30));
  const auto took =
      std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - killed);
  if (signo != SIGKILL) cluster.Signal(victim, SIGCONT);
  REQUIRE_MESSAGE(served, "no answer for 30 s after the master's ", std::string(strsignal(signo)),
                  ": ", got.status().ToString());
  MESSAGE("failover: reads served again ", took.count(), " ms after the master's ",
          std::string(strsignal(signo)), " (", failures, " failed calls on the way; ",
          client->stats().refreshes, " map reads)");
  CHECK(got->text == "kept");
  CHECK(client->MasterOf(slot)->port == heir);
  for (const auto& failed : codes) {
    const StatusCode code = failed.first;
    CHECK_MESSAGE((code == StatusCode::kUnavailable || code == StatusCode::kDeadlineExceeded),
                  failed.second, " calls failed with ", StatusCodeName(code));
  }
  CHECK(took < std::chrono::seconds(15));
  REQUIRE(client->Command({"SET", key, "after"}).ok());
  CHECK(cluster.On(heir, {"GET", key})->text == "after");
  CHECK(cluster.WaitClusterOk(milliseconds(10'000)));
}

TEST_SUITE("integration.redis_cluster") {
  TEST_CASE("the slot of every key is the one CLUSTER KEYSLOT names, hash tags included") {
    RedisClusterFixture cluster(3, 0);
    std::vector<std::string> keys = {"",
                                     "foo",
                                     "{user1000}.following",
                                     "{user1000}.followers",
                                     "foo{}{bar}",
                                     "foo{{bar}}zap",
                                     "foo{bar}{zap}",
                                     "{",
                                     "}",
                                     "{}",
                                     "}{a}",
                                     "inventory:{prop-dubai-royal}",
                                     std::string("\0{\xff}", 4)};
    std::mt19937 rng(30);
    const std::string alphabet = "ab{}:-_\x01\xfe";
    for (int i = 0; i < 1000; ++i) {
      std::string key;
      const int length = static_cast<int>(rng() % 12);
      for (int j = 0; j < length; ++j) key += alphabet[rng() % alphabet.size()];
      keys.push_back(key);
      keys.push_back("property:" + std::to_string(rng()));
    }
    int compared = 0;
    for (const std::string& key : keys) {
      auto slot = cluster.On(cluster.master_port(1), {"CLUSTER", "KEYSLOT", key});
      REQUIRE_MESSAGE(slot.ok(), slot.status().ToString());
      CHECK_MESSAGE(RedisKeySlot(key) == slot->integer, "key of ", key.size(), " bytes: '", key,
                    "'");
      ++compared;
    }
    CHECK(compared == 2013);
  }

  TEST_CASE("SET and GET reach all three masters, each key on its slot's master") {
    RedisClusterFixture cluster(3, 0);
    auto client = ConnectOrFail(cluster.Config());
    constexpr int kKeys = 300;
    for (int i = 0; i < kKeys; ++i) {
      const std::string key = "spread:" + std::to_string(i);
      auto set = client->Command({"SET", key, "v" + std::to_string(i)});
      REQUIRE_MESSAGE(set.ok(), set.status().ToString());
    }
    int64_t total = 0;
    for (const int port : cluster.master_ports()) {
      const int64_t size = DbSize(cluster, port);
      CHECK_MESSAGE(size > 50, "master on port ", port, " holds ", size, " of ", kKeys, " keys");
      total += size;
    }
    CHECK(total == kKeys);
    for (int i = 0; i < kKeys; ++i) {
      const std::string key = "spread:" + std::to_string(i);
      auto got = client->Command({"GET", key});
      REQUIRE_MESSAGE(got.ok(), got.status().ToString());
      CHECK(got->text == "v" + std::to_string(i));
      // Straight to the master the map names: no redirect.
      auto master = client->MasterOf(RedisKeySlot(key));
      REQUIRE(master.ok());
      CHECK(cluster.On(static_cast<int>(master->port), {"GET", key})->text == got->text);
    }
    CHECK(client->stats().moved == 0);
    CHECK(client->stats().asked == 0);
    CHECK(client->Command({"GET", "spread:absent"})->is_nil());
  }

  TEST_CASE("concurrent callers share one client and its bounded pools") {
    RedisClusterFixture cluster(3, 0);
    auto client = ConnectOrFail(cluster.Config());  // pool_size 4 per master
    constexpr int kThreads = 8;
    constexpr int kIncrements = 200;
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < kIncrements; ++i) {
          // Every thread on every key: the counters end at kThreads each.
          auto done = client->Command({"INCR", "counter:" + std::to_string((i + t) % 20)});
          if (!done.ok()) ++failures;
        }
      });
    }
    for (auto& thread : threads) thread.join();
    CHECK(failures.load() == 0);
    int64_t total = 0;
    for (int k = 0; k < 20; ++k) {
      auto value = client->Command({"GET", "counter:" + std::to_string(k)});
      REQUIRE(value.ok());
      total += std::stoll(value->text);
    }
    CHECK(total == kThreads * kIncrements);
  }

  TEST_CASE("a script over the keys of one hash tag runs on the tag's master") {
    RedisClusterFixture cluster(3, 0);
    auto client = ConnectOrFail(cluster.Config());
    std::set<int> masters_used;
    for (const int port : cluster.master_ports()) {
      const std::string tag = KeyOn(*client, port, "prop-");
      const std::vector<std::string> keys = {"inventory:{" + tag + "}", "holds:{" + tag + "}"};
      auto reply = client->Eval(kSetBothGetBoth, keys, {"5", "0"});
      REQUIRE_MESSAGE(reply.ok(), reply.status().ToString());
      REQUIRE(reply->elements.size() == 2);
      CHECK(reply->elements[0].text == "5");
      CHECK(reply->elements[1].text == "0");
      CHECK(cluster.On(port, {"GET", keys[0]})->text == "5");
      masters_used.insert(port);
    }
    CHECK(masters_used.size() == 3);
    // A script cache flushed on a master (as after a restart) is loaded again.
    REQUIRE(cluster.On(cluster.master_port(2), {"SCRIPT", "FLUSH"}).ok());
    const std::string tag = KeyOn(*client, cluster.master_port(2), "again-");
    auto again = client->Eval(kSetBothGetBoth, {"a:{" + tag + "}", "b:{" + tag + "}"}, {"1", "2"});
    REQUIRE_MESSAGE(again.ok(), again.status().ToString());
    CHECK(again->elements[1].text == "2");
  }

  TEST_CASE("a script over keys of several slots is refused before anything is sent") {
    RedisClusterFixture cluster(3, 0);
    auto client = ConnectOrFail(cluster.Config());
    REQUIRE(RedisKeySlot("inventory:a") != RedisKeySlot("inventory:b"));
    auto refused = client->Eval(kSetBothGetBoth, {"inventory:a", "inventory:b"}, {"1", "2"});
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.status().code() == StatusCode::kInvalidArgument);
    CHECK(refused.status().message().find("CROSSSLOT") != std::string::npos);
    CHECK(refused.status().message().find("set-both-get-both") != std::string::npos);
    CHECK(client->Command({"GET", "inventory:a"})->is_nil());
    auto no_key = client->Eval(kSetBothGetBoth, {}, {});
    CHECK(no_key.status().code() == StatusCode::kInvalidArgument);
    auto mget = client->KeyedCommand({"a", "b"}, {"MGET", "a", "b"});
    CHECK(mget.status().code() == StatusCode::kInvalidArgument);
    auto tagged = client->KeyedCommand({"{t}a", "{t}b"}, {"MGET", "{t}a", "{t}b"});
    REQUIRE_MESSAGE(tagged.ok(), tagged.status().ToString());
    CHECK(tagged->elements.size() == 2);
  }

  TEST_CASE("MOVED is followed after a slot migrated, and the map learns the new master") {
    RedisClusterFixture cluster(3, 0);
    auto client = ConnectOrFail(cluster.Config());
    const int from = cluster.master_port(0);
    const int to = cluster.master_port(2);
    const std::string key = KeyOn(*client, from, "moving:");
    const int slot = RedisKeySlot(key);
    REQUIRE(client->Command({"SET", key, "here"}).ok());
    Migrate(cluster, slot, from, to, {key}, /*finish=*/true);
    CHECK(cluster.MasterPortOf(slot, from) == to);

    auto got = client->Command({"GET", key});  // the map still says `from`
    REQUIRE_MESSAGE(got.ok(), got.status().ToString());
    CHECK(got->text == "here");
    CHECK(client->stats().moved == 1);
    CHECK(client->MasterOf(slot)->port == to);
    REQUIRE(client->Command({"SET", key, "there"}).ok());
    CHECK(client->stats().moved == 1);  // no second redirect
    CHECK(cluster.On(to, {"GET", key})->text == "there");
  }

  TEST_CASE("ASK is followed during a migration, without changing the map") {
    RedisClusterFixture cluster(3, 0);
    auto client = ConnectOrFail(cluster.Config());
    const int from = cluster.master_port(1);
    const int to = cluster.master_port(0);
    const std::string tag = KeyOn(*client, from, "asking-");
    const std::string moved = "{" + tag + "}:moved";
    const std::string stays = "{" + tag + "}:stays";
    const std::string fresh = "{" + tag + "}:fresh";
    const int slot = RedisKeySlot(tag);
    REQUIRE(client->Command({"SET", moved, "on-target"}).ok());
    REQUIRE(client->Command({"SET", stays, "on-source"}).ok());
    Migrate(cluster, slot, from, to, {moved}, /*finish=*/false);

    auto got = client->Command({"GET", moved});  // gone from `from`: ASK to `to`
    REQUIRE_MESSAGE(got.ok(), got.status().ToString());
    CHECK(got->text == "on-target");
    CHECK(client->stats().asked == 1);
    CHECK(client->MasterOf(slot)->port == from);  // ASK leaves the map alone
    CHECK(client->Command({"GET", stays})->text == "on-source");
    CHECK(client->stats().asked == 1);
    // A key absent from a migrating slot is created on the target.
    REQUIRE(client->Command({"SET", fresh, "new"}).ok());
    CHECK(client->stats().asked == 2);
    CHECK(cluster.On(to, {"DBSIZE"})->integer == 2);
    CHECK(client->stats().moved == 0);

    // The migration ends: MOVED from then on.
    Migrate(cluster, slot, from, to, {stays}, /*finish=*/false);
    for (const int port : {to, from, cluster.master_port(2)}) {
      REQUIRE(
          cluster.On(port, {"CLUSTER", "SETSLOT", std::to_string(slot), "NODE", cluster.NodeId(to)})
              .ok());
    }
    CHECK(client->Command({"GET", stays})->text == "on-source");
    CHECK(client->stats().moved == 1);
    CHECK(client->MasterOf(slot)->port == to);
  }

  TEST_CASE("a master SIGKILLed: its replica takes over and the client finds it in bounded time") {
    ReadsFollowTheFailover(SIGKILL);
  }

  // A silent master (paused, or cut off) refuses nothing: the client must
  // read the map again on time of its own, not the spent call's.
  TEST_CASE("a master SIGSTOPped: its replica takes over and the client finds it in bounded time") {
    ReadsFollowTheFailover(SIGSTOP);
  }

  TEST_CASE("a stalled master: the call ends kDeadlineExceeded by its deadline, then recovers") {
    // A node timeout far above the stall: the cluster itself sees no failure.
    RedisClusterFixture cluster(3, 0, /*node_timeout_ms=*/10'000);
    RedisConfig config = cluster.Config();
    config.command_timeout_ms = 300;
    auto client = ConnectOrFail(config);
    const int stalled = cluster.master_port(0);  // also the seed
    const std::string key = KeyOn(*client, stalled, "stall:");
    REQUIRE(client->Command({"SET", key, "1"}).ok());
    cluster.Signal(stalled, SIGSTOP);
    const auto start = std::chrono::steady_clock::now();
    auto stuck = client->Command({"INCR", key});
    const auto took =
        std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - start);
    // The slot map is still read while the master is stalled: the others answer.
    const auto refresh_start = std::chrono::steady_clock::now();
    const Status refreshed = client->Refresh();
    const auto refresh_took =
        std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - refresh_start);
    cluster.Signal(stalled, SIGCONT);
    CHECK_MESSAGE(refreshed.ok(), refreshed.ToString());
    CHECK(refresh_took < milliseconds(800));
    REQUIRE_FALSE(stuck.ok());
    CHECK_MESSAGE(stuck.status().code() == StatusCode::kDeadlineExceeded,
                  stuck.status().ToString());
    MESSAGE("a stalled master: INCR failed after ", took.count(),
            " ms (deadline 300 ms); the map read in ", refresh_took.count(), " ms");
    CHECK(took < milliseconds(800));
    // Another master is not held up by the stalled one.
    REQUIRE(client->Command({"SET", KeyOn(*client, cluster.master_port(1), "free:"), "1"}).ok());
    auto after = client->Command({"GET", key});
    REQUIRE_MESSAGE(after.ok(), after.status().ToString());
    CHECK((after->text == "1" || after->text == "2"));  // the INCR's outcome was unknown
  }

  TEST_CASE("a server that is not a cluster node, or a database other than 0, is refused") {
    RedisConfig standalone = testing::LiveConfig().redis;
    standalone.database = 0;
    auto refused = RedisClusterClient::Connect(standalone);
    REQUIRE_FALSE(refused.ok());
    CHECK_MESSAGE(refused.status().code() == StatusCode::kFailedPrecondition,
                  refused.status().ToString());
    CHECK(refused.status().message().find("not a Redis Cluster node") != std::string::npos);

    RedisClusterFixture cluster(1, 0);
    RedisConfig selected = cluster.Config();
    selected.database = 15;
    auto no_select = RedisClusterClient::Connect(selected);
    REQUIRE_FALSE(no_select.ok());
    CHECK(no_select.status().code() == StatusCode::kFailedPrecondition);
    CHECK(no_select.status().message().find("redis.database") != std::string::npos);
  }
}

}  // namespace
}  // namespace wanderluxe
