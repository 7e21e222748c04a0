// Drills (issue 12): the ledger's database dies in the middle of a flash
// sale, in either of its two processes: FerretDB (the Mongo wire protocol)
// or the PostgreSQL that FerretDB stores everything in. Each is SIGKILLed
// while the processor writes and the audit catches up a backlog, kept down a
// few seconds, and restarted on the same data. The saga retries through it; every booking must
// end terminal, and both the ledger and the audit archive must be complete
// (verify I1-I6): an acknowledged write survives a killed process.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <nlohmann/json.hpp>
#include <thread>

#include "adapters/kafka/kafka_admin.h"
#include "support/drill_env.h"

namespace wanderluxe {
namespace {

using std::chrono::seconds;

constexpr int kBookings = 1500, kUnits = 100;
// The herd arrives over about 20 s, so that request events keep coming
// while the database is down: 50 bookings every 2/3 s.
constexpr int kSlice = 50;
constexpr auto kSliceEvery = std::chrono::milliseconds(667);
// The outage itself, past the restart scripts/stack does: long enough that
// every writer (saga, reconciler, audit) meets it.
constexpr auto kOutage = seconds(5);

// The events on the requests topic, and how many of them the audit archived.
std::pair<int64_t, int64_t> ArchivedOfEvents(testing::DrillEnv& env) {
  const KafkaConfig& kafka = env.config().kafka;
  auto events = CountMessages(kafka, kafka.requests_topic, seconds(10));
  auto archived = env.mongo().Count(env.config().audit.collection,
                                    nlohmann::json{{"topic", kafka.requests_topic}}.dump());
  return {events.ok() ? *events : -1, archived.ok() ? *archived : -1};
}

// Publishes `ids` slice by slice at the herd's pace; returns how many failed.
int PublishPaced(testing::DrillEnv& env, const std::string& property,
                 const std::vector<std::string>& ids) {
  int failed = 0;
  auto next = std::chrono::steady_clock::now();
  for (size_t from = 0; from < ids.size(); from += kSlice) {
    std::this_thread::sleep_until(next);  // the herd's pace, not a readiness wait
    next += kSliceEvery;
    const size_t to = std::min(ids.size(), from + kSlice);
    failed += env.PublishIds(property, {ids.begin() + static_cast<std::ptrdiff_t>(from),
                                        ids.begin() + static_cast<std::ptrdiff_t>(to)});
  }
  return failed;
}

// `server` is "ferretdb" or "postgres": the one SIGKILLed.
void RunLedgerKillDrill(const std::string& server) {
  testing::DrillEnv env({server + "-kill", 6, {"processor.workers=32"}, {"ferretdb"}});
  const std::string property = env.Property(server, kUnits);
  env.StartBank();
  env.StartProcessor("processor");
  REQUIRE_MESSAGE(env.WaitAssigned({"processor"}, seconds(90)),
                  "the processor did not join its group; see ", env.dir());
  const auto start = std::chrono::steady_clock::now();
  std::atomic<int> publish_failures{-1};
  const std::vector<std::string> ids = env.BookingIds(property, kBookings);
  std::thread herd([&] { publish_failures = PublishPaced(env, property, ids); });
  struct JoinOnExit {  // also when a REQUIRE ends the drill early
    std::thread& t;
    ~JoinOnExit() {
      if (t.joinable()) t.join();
    }
  } join_herd{herd};

  // Mid-run: a third of the bookings decided (the processor's own counter:
  // the ledger is what is about to die).
  int64_t done = 0;
  REQUIRE_MESSAGE(testing::WaitUntil(
                      [&] {
                        done = env.ProcessorMetric("processor", "saga_outcomes_total");
                        return done >= kBookings / 3;
                      },
                      seconds(120)),
                  "under ", kBookings / 3, " outcomes after 120 s; see ", env.dir());
  // The audit starts only now, so that it is catching up a backlog, one
  // batch write after the other, when the database dies: a write in flight
  // at the kill is the case to drill. It dies once the first batch is in.
  env.StartAudit();
  const std::string any = "{}";
  int64_t archived_at_kill = 0;
  REQUIRE_MESSAGE(testing::WaitUntil(
                      [&] {
                        auto n = env.mongo().Count(env.config().audit.collection, any);
                        archived_at_kill = n.ok() ? *n : 0;
                        return archived_at_kill > 0;
                      },
                      seconds(60)),
                  "the audit archived nothing in 60 s; see ", env.dir());
  const auto killed = std::chrono::steady_clock::now();
  env.private_stack().Kill(server);
  MESSAGE("SIGKILLed ", server, " at ", testing::SecondsSince(start), " s, ", done, " outcomes, ",
          archived_at_kill, " events archived");
  std::this_thread::sleep_until(killed + kOutage);  // the outage itself, not a readiness wait
  const int64_t during = env.ProcessorMetric("processor", "saga_outcomes_total");
  const double took_s = env.private_stack().Restart(server);
  MESSAGE("restarted ", server, " ", testing::SecondsSince(killed) - took_s,
          " s after the kill; up in ", took_s, " s; outcomes while it was down: ", during - done);

  herd.join();
  REQUIRE_MESSAGE(publish_failures == 0, publish_failures.load(), " publishes failed");
  const bool all = env.WaitTerminal({property}, kBookings, seconds(120));
  auto counts = env.Counts({property});
  MESSAGE("after ", testing::SecondsSince(start), " s (", testing::SecondsSince(killed),
          " s after the kill): CONFIRMED ", counts[BookingStatus::kConfirmed], ", SOLD_OUT ",
          counts[BookingStatus::kSoldOut], ", FAILED_PAYMENT ",
          counts[BookingStatus::kFailedPayment], ", PARKED ", counts[BookingStatus::kParked],
          ", RESERVED ", counts[BookingStatus::kReserved], ", PENDING ",
          counts[BookingStatus::kPending]);
  // Not a REQUIRE: verify below says which bookings are missing, and why.
  CHECK_MESSAGE(all, "only ", env.Terminal({property}), " of ", kBookings,
                " terminal after 120 s; see ", env.dir());
  CHECK(counts[BookingStatus::kConfirmed] == kUnits);
  CHECK(counts[BookingStatus::kParked] == 0);  // an outage is retried, never given up on

  // The audit may still be catching up: wait (bounded), then let verify say what is missing.
  const bool audited = env.WaitAudited(seconds(60));
  const auto [events, archived] = ArchivedOfEvents(env);
  MESSAGE("audit archived ", archived, " of ", events, " request events (", events - archived,
          " missing), ", testing::SecondsSince(killed), " s after the kill");
  CHECK_MESSAGE(audited, "audit did not archive every event; see ", env.dir());
  const auto verified = env.Verify({property});
  CHECK(verified == 0);
  env.Passed(verified == 0 && all && audited && counts[BookingStatus::kConfirmed] == kUnits &&
             counts[BookingStatus::kParked] == 0);
}

TEST_SUITE("drill.ferretdb_kill") {
  TEST_CASE("FerretDB SIGKILLed mid-sale: the ledger and the audit archive complete") {
    RunLedgerKillDrill("ferretdb");
  }
}

TEST_SUITE("drill.postgres_kill") {
  TEST_CASE("FerretDB's PostgreSQL SIGKILLed mid-sale: the ledger and the audit archive complete") {
    RunLedgerKillDrill("postgres");
  }
}

}  // namespace
}  // namespace wanderluxe
