// Cluster drill 5 (issue 30): the roles on the cluster's Redis, three
// processors in one group, the herd over three properties. Mid-herd the
// busiest processor is SIGKILLed; once the other two hold every partition,
// the busier of them is SIGSTOPped for twice saga.lease_ms (past the
// session timeout too, so the group drops it), then SIGCONTed. The last
// one takes every partition and, once their leases lapse, the stopped
// one's sagas; the continued one wakes with sagas whose leases are gone
// and must be fenced out of them. Every accepted booking ends terminal
// and `verify` (I1–I7) passes (cluster_herd_drill.h).
#include <doctest/doctest.h>
#include <signal.h>

#include <thread>

#include "drill_cluster/cluster_herd_drill.h"
#include "support/processor_log.h"
#include "support/servers.h"

namespace wanderluxe {
namespace {

using std::chrono::seconds;

constexpr int kProcessors = 3;
constexpr int kPartitions = 6;  // of the requests topic (RunClusterHerdDrill)
// A lease must exceed two bank calls with clock skew (config check): the
// bank's timeout is cut to let the lease be short.
constexpr int64_t kLeaseMs = 5000;
constexpr int64_t kSessionTimeoutMs = 6000;
constexpr std::chrono::milliseconds kStoppedFor{2 * kLeaseMs};
constexpr seconds kRebalanceBound{120};

std::string ProcessorName(size_t index) { return "processor-" + std::to_string(index + 1); }

// Of the processors still in play, the one with the most saga outcomes.
size_t Busiest(const testing::HerdInFlight& herd, const std::vector<size_t>& in_play) {
  size_t busiest = in_play.front();
  int64_t most = -1;
  for (size_t i : in_play) {
    const int64_t done = herd.env.ProcessorMetric(ProcessorName(i), "saga_outcomes_total");
    if (done > most) {
      most = done;
      busiest = i;
    }
  }
  return busiest;
}

// Waits (bounded) until `holders` hold every partition between them;
// returns the seconds it took.
double WaitHeldBy(const testing::HerdInFlight& herd, const std::vector<size_t>& holders,
                  std::chrono::steady_clock::time_point since, const std::string& after) {
  int held = 0;
  const bool all = testing::WaitUntil(
      [&] {
        held = 0;
        for (size_t i : holders)
          held += testing::PartitionsHeld(herd.env.ReadLog(ProcessorName(i)));
        return held == kPartitions;
      },
      kRebalanceBound);
  REQUIRE_MESSAGE(all, "after ", after, " the processors left hold ", held, " of ", kPartitions,
                  " partitions; see ", herd.env.dir());
  const double took_s = testing::SecondsSince(since);
  MESSAGE("after ", after, ": every partition held again in ", took_s, " s, ",
          herd.env.Terminal(herd.properties), " bookings terminal");
  return took_s;
}

// SIGCONTs a stopped processor however the drill ends.
struct ContinueOnExit {
  testing::ChildProcess& child;
  bool stopped = false;
  ~ContinueOnExit() {
    if (stopped) child.Signal(SIGCONT);
  }
};

testing::FaultSpan KillOneStallAnother(const testing::HerdInFlight& herd) {
  testing::FaultSpan span = testing::FaultBeginsNow(herd);
  const size_t killed = Busiest(herd, {0, 1, 2});
  std::vector<size_t> left;
  for (size_t i = 0; i < kProcessors; ++i) {
    if (i != killed) left.push_back(i);
  }
  const auto kill_at = std::chrono::steady_clock::now();
  herd.processors[killed]->Signal(SIGKILL);
  CHECK(herd.processors[killed]->Wait(seconds(10)) == 128 + SIGKILL);
  MESSAGE("SIGKILLed ", ProcessorName(killed), " at ", span.began_s, " s, ",
          herd.env.Terminal(herd.properties), " bookings terminal");
  WaitHeldBy(herd, left, kill_at, "the kill");

  const size_t stalled = Busiest(herd, left);
  const size_t last = stalled == left.front() ? left.back() : left.front();
  const int assignments_before = testing::Assignments(herd.env.ReadLog(ProcessorName(stalled)));
  ContinueOnExit thaw{*herd.processors[stalled]};
  const auto stop_at = std::chrono::steady_clock::now();
  herd.processors[stalled]->Signal(SIGSTOP);
  thaw.stopped = true;
  MESSAGE("SIGSTOPped ", ProcessorName(stalled), " at ", testing::SecondsSince(herd.herd_start),
          " s for ", kStoppedFor.count(), " ms");
  WaitHeldBy(herd, {last}, stop_at, "the stop");
  std::this_thread::sleep_until(stop_at + kStoppedFor);  // the fault's length, not a wait
  const auto cont_at = std::chrono::steady_clock::now();
  herd.processors[stalled]->Signal(SIGCONT);
  thaw.stopped = false;
  span.ended_s = testing::SecondsSince(herd.herd_start);
  MESSAGE("SIGCONTed ", ProcessorName(stalled), " at ", span.ended_s, " s");
  // Back in the group: a fresh assignment after its revoke (partitions lost).
  const bool rejoined = testing::WaitUntil(
      [&] {
        return testing::Assignments(herd.env.ReadLog(ProcessorName(stalled))) > assignments_before;
      },
      kRebalanceBound);
  CHECK_MESSAGE(rejoined, ProcessorName(stalled), " did not rejoin the group after SIGCONT");
  MESSAGE(ProcessorName(stalled), " rejoined the group ", testing::SecondsSince(cont_at),
          " s after SIGCONT");
  WaitHeldBy(herd, {stalled, last}, cont_at, "the SIGCONT");
  return span;
}

bool ReportRevokes(testing::DrillEnv& env, const std::vector<std::string>& properties,
                   const testing::FaultSpan&) {
  const testing::RevokeReport revokes =
      testing::Revokes(env, {ProcessorName(0), ProcessorName(1), ProcessorName(2)});
  MESSAGE("revokes: ", revokes.revokes, "; ", revokes.past_drain_timeout,
          " waited out the drain timeout; ", env.Terminal(properties), " bookings terminal");
  return true;
}

TEST_SUITE("drill-cluster.processor_faults") {
  TEST_CASE("of three processors one SIGKILLed, one SIGSTOPped past its lease: I1-I7 hold") {
    testing::ClusterHerdDrill drill;
    drill.name = "pfault";
    drill.cluster_redis = true;
    drill.properties = 3;
    drill.processors = kProcessors;
    // Half the pace: the herd outlasts the kill, the takeover and the stop.
    drill.keys_per_second = 50;
    drill.sets = {"saga.lease_ms=" + std::to_string(kLeaseMs), "bank.request_timeout_ms=1000",
                  "kafka.session_timeout_ms=" + std::to_string(kSessionTimeoutMs)};
    drill.fault = KillOneStallAnother;
    drill.afterwards = ReportRevokes;
    testing::RunClusterHerdDrill(drill);
  }
}

}  // namespace
}  // namespace wanderluxe
