#include "drill_cluster/node_faults.h"

#include <doctest/doctest.h>

#include "adapters/redis/redis_cluster_slot.h"
#include "support/servers.h"

namespace wanderluxe::testing {
namespace {

using std::chrono::seconds;

// A replica is promoted within a few node timeouts; a rejoining node needs
// its full resync from the new master too.
constexpr seconds kPromotionBound{60};
constexpr seconds kRejoinBound{120};

// Polls (bounded) until a node other than `old_master` serves `slot`; returns it.
std::string WaitPromoted(const HerdInFlight& herd, int slot, const std::string& old_master,
                         std::chrono::steady_clock::time_point since) {
  std::string now;
  const bool promoted = WaitUntil(
      [&] {
        now = herd.env.private_cluster().SlotMaster(slot);
        return !now.empty() && now != old_master;
      },
      kPromotionBound);
  REQUIRE_MESSAGE(promoted, "slot ", slot, " still served by ", now.empty() ? "nobody" : now, " ",
                  kPromotionBound.count(), " s after the fault; see ", herd.env.dir());
  MESSAGE("slot ", slot, ": ", now, " serves it in place of ", old_master, ", ",
          SecondsSince(since) * 1000, " ms after the fault");
  return now;
}

// Whether `old_master` comes to replicate `new_master` (bounded).
void CheckRejoined(const HerdInFlight& herd, const std::string& old_master,
                   const std::string& new_master) {
  const auto since = std::chrono::steady_clock::now();
  std::string of;
  const bool rejoined = WaitUntil(
      [&] {
        of = herd.env.private_cluster().ReplicaOf(old_master);
        return of == new_master;
      },
      kRejoinBound);
  MESSAGE(old_master, std::string(rejoined ? " rejoined" : " did not rejoin"), " as a replica of ",
          new_master, " (replica of '", of, "'), ", SecondsSince(since),
          " s after the fault ended");
  CHECK(rejoined);
}

}  // namespace

std::function<FaultSpan(const HerdInFlight&)> RedisMasterFault(NodeFault inject,
                                                               NodeRecovery recover) {
  return [inject, recover](const HerdInFlight& herd) {
    PrivateCluster& cluster = herd.env.private_cluster();
    const int slot = RedisKeySlot(herd.properties.front());
    const std::string master = cluster.SlotMaster(slot);
    REQUIRE_MESSAGE(!master.empty(), "no master serves slot ", slot);
    const auto injected = std::chrono::steady_clock::now();
    FaultSpan span = FaultBeginsNow(herd);
    inject(cluster, master);
    MESSAGE("fault on ", master, " (slot ", slot, " of ", herd.properties.front(), ") at ",
            span.began_s, " s");
    const std::string promoted = WaitPromoted(herd, slot, master, injected);
    recover(cluster, master, injected);
    span.ended_s = SecondsSince(herd.herd_start);
    MESSAGE("fault on ", master, " ended at ", span.ended_s, " s");
    CheckRejoined(herd, master, promoted);
    return span;
  };
}

}  // namespace wanderluxe::testing
