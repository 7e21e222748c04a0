// Drill 8 (issue 12): the bank role answers 30 % of charges with a timeout
// (half of them after capturing), 10 % with a 5xx and 20 % with a decline,
// and is SIGKILLed mid-herd, down for a while, then restarted on the same
// book. Its book survives the restart (every charge it had recorded is there,
// with its transaction id); at the end every booking is terminal, each
// CONFIRMED booking has exactly one captured, unvoided charge whose
// transaction id is the ledger's, no other booking has a captured charge, and
// verify passes.
#include <doctest/doctest.h>
#include <signal.h>

#include <atomic>
#include <regex>
#include <thread>

#include "support/drill_env.h"

namespace wanderluxe {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr int kProperties = 4;
constexpr int kPerProperty = 400;  // requests per property
constexpr int kUnits = 150;        // per property: the rest wait or sell out
constexpr int kBankTimeoutMs = 500;
constexpr int kDeadlineMs = 5000;
// The bank stays dead this long: some sagas run out of their payment deadline
// while it is away and must void once it is back.
constexpr milliseconds kOutage{2000};

using testing::Listed;

// A charge may only move CAPTURED -> VOIDED once recorded.
bool SameOrLater(const std::string& before, const std::string& after) {
  return before == after || (before == "CAPTURED" && after == "VOIDED");
}

TEST_SUITE("drill.bank_kill") {
  TEST_CASE("faulty bank SIGKILLed mid-herd and restarted: one captured charge per CONFIRMED") {
    constexpr int kBookings = kProperties * kPerProperty;
    testing::DrillEnv env(
        {"bank-kill",
         6,
         {"bank.timeout_pct=30", "bank.error_pct=10", "bank.decline_pct=20",
          "bank.request_timeout_ms=" + std::to_string(kBankTimeoutMs),
          "saga.payment_deadline_ms=" + std::to_string(kDeadlineMs), "processor.workers=32"}});
    std::vector<std::string> properties;
    for (int i = 0; i < kProperties; ++i) {
      properties.push_back(env.Property("bk" + std::to_string(i), kUnits));
    }
    testing::ChildProcess* bank = &env.StartBank("bank");
    env.StartAudit();
    env.StartProcessor("processor-1");
    REQUIRE_MESSAGE(env.WaitAssigned({"processor-1"}, seconds(90)),
                    "the processor did not join the group; see ", env.dir());

    // The herd arrives while the bank works: published from a thread.
    const auto start = std::chrono::steady_clock::now();
    std::vector<std::vector<std::string>> ids_of;
    for (const auto& p : properties) ids_of.push_back(env.BookingIds(p, kPerProperty));
    std::atomic<int> publish_failures{-1};
    std::thread herd([&] {
      int failed = 0;
      for (size_t i = 0; i < properties.size(); ++i)
        failed += env.PublishIds(properties[i], ids_of[i]);
      publish_failures = failed;
    });
    struct JoinOnExit {  // also when a REQUIRE ends the drill early
      std::thread& t;
      ~JoinOnExit() {
        if (t.joinable()) t.join();
      }
    } join_herd{herd};

    // Mid-herd: the bank has decided a third of the units on sale.
    std::map<std::string, testing::DrillEnv::BankCharge> before;
    REQUIRE_MESSAGE(testing::WaitUntil(
                        [&] {
                          before = env.BankCharges();
                          return static_cast<int>(before.size()) >= kProperties * kUnits / 3;
                        },
                        seconds(120)),
                    "the bank recorded only ", before.size(), " charges in 120 s; see ", env.dir());
    bank->Signal(SIGKILL);
    const double kill_s = testing::SecondsSince(start);
    auto at_kill = env.Counts(properties);
    int64_t terminal_at_kill = 0;
    for (const auto& [status, n] : at_kill) terminal_at_kill += IsTerminal(status) ? n : 0;
    CHECK(bank->Wait(seconds(10)) == 128 + SIGKILL);
    std::this_thread::sleep_for(kOutage);  // the outage itself, not a readiness wait
    bank = &env.StartBank("bank-2");
    const double recovered_s = testing::SecondsSince(start);

    // The book survived: every charge recorded before the kill, as it was or
    // voided since, with its transaction id.
    const auto after = env.BankCharges();
    std::vector<std::string> lost, changed;
    for (const auto& [key, charge] : before) {
      const auto it = after.find(key);
      if (it == after.end()) {
        lost.push_back(key + "/" + charge.status);
      } else if (!SameOrLater(charge.status, it->second.status) ||
                 charge.transaction_id != it->second.transaction_id) {
        changed.push_back(key + " " + charge.status + "->" + it->second.status);
      }
    }
    std::smatch replayed;
    const std::string restart_log = env.ReadLog("bank-2");
    const bool logged =
        std::regex_search(restart_log, replayed, std::regex(R"((\d+) charges in the book)"));
    MESSAGE("bank SIGKILLed at ", kill_s, " s with ", before.size(), " charges seen and ",
            terminal_at_kill, " of ", kBookings, " bookings terminal and ",
            at_kill[BookingStatus::kReserved], " RESERVED (paying); restarted after ",
            kOutage.count(), " ms, healthy at ", recovered_s, " s, replaying ",
            logged ? replayed[1].str() : std::string("?"), " charges");
    CHECK_MESSAGE(lost.empty(), "charges lost by the restart:", Listed(lost));
    CHECK_MESSAGE(changed.empty(), "charges changed by the restart:", Listed(changed));
    CHECK(logged);

    herd.join();
    REQUIRE_MESSAGE(publish_failures == 0, publish_failures.load(), " publishes failed");
    const bool all = env.WaitTerminal(properties, kBookings, seconds(180));
    const double terminal_s = testing::SecondsSince(start);
    auto counts = env.Counts(properties);
    MESSAGE("after ", terminal_s, " s: CONFIRMED ", counts[BookingStatus::kConfirmed],
            ", SOLD_OUT ", counts[BookingStatus::kSoldOut], ", FAILED_PAYMENT ",
            counts[BookingStatus::kFailedPayment], ", PARKED ", counts[BookingStatus::kParked],
            ", RESERVED ", counts[BookingStatus::kReserved], ", PENDING ",
            counts[BookingStatus::kPending]);
    REQUIRE_MESSAGE(all, "only ", env.Terminal(properties), " of ", kBookings,
                    " terminal 180 s in; see ", env.dir());

    // Every booking against the final book: exactly one captured, unvoided
    // charge for each CONFIRMED one (the ledger's transaction), none otherwise.
    const auto book = env.BankCharges();
    std::map<std::string, int> by_state;
    for (const auto& [key, charge] : book) ++by_state[charge.status];
    std::vector<std::string> uncharged, other_transaction, charged_not_confirmed;
    int confirmed = 0;
    for (const auto& p : properties) {
      auto statuses = env.ledger().StatusByBooking(p);
      REQUIRE(statuses.ok());
      for (const auto& [id, status] : *statuses) {
        const auto it = book.find(id);
        const std::string state = it == book.end() ? "NONE" : it->second.status;
        if (status != BookingStatus::kConfirmed) {
          if (state == "CAPTURED")
            charged_not_confirmed.push_back(id + " " + std::string(BookingStatusName(status)));
          continue;
        }
        ++confirmed;
        if (state != "CAPTURED") {
          uncharged.push_back(id + "/" + state);
          continue;
        }
        auto record = env.ledger().Get(id);
        REQUIRE((record.ok() && record->has_value()));
        if ((*record)->transaction_id != it->second.transaction_id) {
          other_transaction.push_back(id + " ledger " + (*record)->transaction_id + " bank " +
                                      it->second.transaction_id);
        }
      }
    }
    MESSAGE("bank book: ", book.size(), " keys: CAPTURED ", by_state["CAPTURED"], ", DECLINED ",
            by_state["DECLINED"], ", VOIDED ", by_state["VOIDED"], "; ", confirmed,
            " CONFIRMED bookings");
    CHECK(confirmed > 0);
    CHECK_MESSAGE(uncharged.empty(), "CONFIRMED without a captured charge:", Listed(uncharged));
    CHECK_MESSAGE(other_transaction.empty(),
                  "CONFIRMED with another transaction than the bank's:", Listed(other_transaction));
    CHECK_MESSAGE(charged_not_confirmed.empty(),
                  "captured charges of bookings not CONFIRMED:", Listed(charged_not_confirmed));

    REQUIRE_MESSAGE(env.WaitAudited(seconds(120)), "audit did not archive every event; see ",
                    env.dir());
    const auto verified = env.Verify(properties);
    CHECK(verified == 0);
    env.Passed(verified == 0 && lost.empty() && changed.empty() && uncharged.empty() &&
               other_transaction.empty() && charged_not_confirmed.empty());
  }
}

}  // namespace
}  // namespace wanderluxe
