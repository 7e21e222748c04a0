// What the nemesis found (seed 1, a 13 s partition of the master redis-3):
// a master gone silent, cut off or paused rather than refusing, is replaced
// by its replica within seconds, yet the gateways went on calling it until
// it answered again, refusing a third of the properties (503) meanwhile.
// Each call for its slots spends its whole deadline waiting on the silent
// master, and the slot map read that follows (RefreshIfDue) gets that same
// spent deadline, so it reads nothing. The SIGKILL case
// (tests/integration/redis_cluster_test.cc) passes: a refused connection
// leaves the deadline unspent. Under the `nemesis` ctest label, which
// scripts/test does not run, until the client is fixed.
#include <doctest/doctest.h>
#include <signal.h>

#include <chrono>

#include "adapters/redis/redis_cluster.h"
#include "adapters/redis/redis_cluster_slot.h"
#include "support/child_process.h"
#include "support/redis_cluster_fixture.h"

namespace wanderluxe {
namespace {

using std::chrono::milliseconds;

// A key whose slot the master on `port` serves, as `client` sees it.
std::string KeyServedBy(RedisClusterClient& client, int port) {
  for (int i = 0;; ++i) {
    const std::string key = "silent:" + std::to_string(i);
    auto master = client.MasterOf(RedisKeySlot(key));
    REQUIRE(master.ok());
    if (master->port == port) return key;
  }
}

TEST_SUITE("nemesis.silent_master") {
  TEST_CASE("a master SIGSTOPped: its replica takes over and the client finds it in bounded time") {
    // As the SIGKILL case: the replica's election starts 1-2 s into the silence.
    testing::RedisClusterFixture cluster(3, 3, /*node_timeout_ms=*/1000);
    RedisConfig config = cluster.Config();
    config.command_timeout_ms = 500;
    auto connected = RedisClusterClient::Connect(config);
    REQUIRE_MESSAGE(connected.ok(), connected.status().ToString());
    RedisClusterClient& client = **connected;
    const int victim = cluster.master_port(1);
    const int heir = cluster.replica_port(1);
    const std::string key = KeyServedBy(client, victim);
    REQUIRE(client.Command({"SET", key, "kept"}).ok());

    cluster.Signal(victim, SIGSTOP);
    const auto silenced = std::chrono::steady_clock::now();
    const bool promoted = testing::WaitUntil(
        [&] { return cluster.MasterPortOf(RedisKeySlot(key), cluster.master_port(0)) == heir; },
        std::chrono::seconds(15));
    Result<RedisReply> got = Status::Unavailable("not tried");
    const bool served = testing::WaitUntil(
        [&] {
          return (got = client.Command({"GET", key})).ok();
        },
        std::chrono::seconds(15));
    const auto took =
        std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - silenced);
    cluster.Signal(victim, SIGCONT);
    REQUIRE_MESSAGE(promoted, "the replica did not take over within 15 s");
    MESSAGE("silent master: ", std::string(served ? "served again " : "still not served "),
            took.count(), " ms after SIGSTOP; ", client.stats().refreshes,
            " map reads; last: ", got.ok() ? std::string("ok") : got.status().ToString());
    CHECK_MESSAGE(served, "the client never left the silent master for its promoted replica");
  }
}

}  // namespace
}  // namespace wanderluxe
