// HttpBank's kept connections (HttpConnectionPool) against a loopback server
// that follows a script per connection (support/scripted_http_server.h) and
// counts what it saw: connections accepted, requests read, connections each
// side closed. What the pool promises: calls share kept connections; a kept
// connection the server closed is never the reason a call fails, the request
// going again once on a new connection only when no byte of the answer came;
// `Connection: close` is obeyed; one deadline bounds a call even when a kept
// connection stalls mid-answer; at most pool_size connections are kept.
#include "adapters/http/http_connection_pool.h"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "adapters/bank/http_bank.h"
#include "support/child_process.h"
#include "support/loopback_connections.h"
#include "support/scripted_http_server.h"

namespace wanderluxe {
namespace {

using std::chrono::milliseconds;
using testing::ScriptedHttpServer;
using testing::ScriptedReply;
using Clock = std::chrono::steady_clock;

constexpr milliseconds kCallTimeout(500);
// How much later than its timeout a call may return: the loop's wake-up and
// the scheduler of a loaded 2-core machine, never another read.
constexpr milliseconds kReturnSlack(250);
// How long the server may take to see a close the client already made.
constexpr milliseconds kServerSeesBound(5000);
constexpr size_t kPoolSize = 4;
const Money kAmount{1000, "USD"};

ScriptedReply AlwaysAnswer(int) { return ScriptedReply::kAnswer; }

int PortOf(const ScriptedHttpServer& server) {
  const std::string url = server.url();
  return std::stoi(url.substr(url.rfind(':') + 1));
}

ChargeOutcome ChargeOnce(HttpBank& bank, const std::string& key) {
  return bank.Charge(key, kAmount, kCallTimeout).outcome;
}

TEST_SUITE("integration.http_connection_pool") {
  TEST_CASE("sequential calls share one kept connection") {
    ScriptedHttpServer server(AlwaysAnswer);
    HttpBank bank(server.url(), kPoolSize);
    for (int i = 0; i < 20; ++i)
      REQUIRE(ChargeOnce(bank, "k" + std::to_string(i)) == ChargeOutcome::kCaptured);
    CHECK(server.accepted() == 1);
    CHECK(server.requests() == 20);
    CHECK(bank.pool_counts().opened == 1);
    CHECK(bank.pool_counts().reused == 19);
  }

  TEST_CASE("pool_size 0: a connection per call, closed by the client after its answer") {
    ScriptedHttpServer server(AlwaysAnswer);
    HttpBank bank(server.url(), 0);
    for (int i = 0; i < 5; ++i)
      REQUIRE(ChargeOnce(bank, "k" + std::to_string(i)) == ChargeOutcome::kCaptured);
    CHECK(server.accepted() == 5);
    CHECK(testing::WaitUntil([&] { return server.closed_by_client() == 5; }, kServerSeesBound));
    CHECK(bank.pool_counts().reused == 0);
  }

  TEST_CASE("a kept connection closed unanswered: sent again once on a new one, captured") {
    ScriptedHttpServer server(
        [](int n) { return n == 2 ? ScriptedReply::kCloseUnanswered : ScriptedReply::kAnswer; });
    HttpBank bank(server.url(), kPoolSize);
    REQUIRE(ChargeOnce(bank, "first") == ChargeOutcome::kCaptured);
    CHECK(ChargeOnce(bank, "second") == ChargeOutcome::kCaptured);
    CHECK(server.accepted() == 2);
    CHECK(server.requests() == 3);  // the second charge, twice
    CHECK(bank.pool_counts().retried == 1);
  }

  TEST_CASE("the retry is once: a new connection closed unanswered too is kUnknown") {
    std::atomic<bool> refuse{false};
    ScriptedHttpServer server(
        [&](int) { return refuse ? ScriptedReply::kCloseUnanswered : ScriptedReply::kAnswer; });
    HttpBank bank(server.url(), kPoolSize);
    REQUIRE(ChargeOnce(bank, "first") == ChargeOutcome::kCaptured);
    refuse = true;
    CHECK(ChargeOnce(bank, "second") == ChargeOutcome::kUnknown);
    CHECK(server.accepted() == 2);
    CHECK(server.requests() == 3);
    CHECK(bank.pool_counts().retried == 1);
  }

  TEST_CASE("a new connection closed unanswered: kUnknown, sent once, as without a pool") {
    ScriptedHttpServer server([](int) { return ScriptedReply::kCloseUnanswered; });
    HttpBank bank(server.url(), kPoolSize);
    CHECK(ChargeOnce(bank, "lost") == ChargeOutcome::kUnknown);
    const Result<ChargeState> v = bank.Void("lost", kCallTimeout);
    CHECK((!v.ok() && v.status().code() == StatusCode::kDeadlineExceeded));
    CHECK(server.accepted() == 2);
    CHECK(server.requests() == 2);
    CHECK(bank.pool_counts().retried == 0);
  }

  TEST_CASE("a kept connection that stalls mid-answer: the deadline holds, no retry") {
    ScriptedHttpServer server(
        [](int n) { return n == 1 ? ScriptedReply::kAnswer : ScriptedReply::kStallMidAnswer; });
    HttpBank bank(server.url(), kPoolSize);
    REQUIRE(ChargeOnce(bank, "first") == ChargeOutcome::kCaptured);

    SUBCASE("Charge: kUnknown") {
      const auto start = Clock::now();
      const ChargeOutcome outcome = ChargeOnce(bank, "stalled");
      const auto took = Clock::now() - start;
      MESSAGE("took ", std::chrono::duration_cast<milliseconds>(took).count(), " ms");
      CHECK(took <= kCallTimeout + kReturnSlack);
      CHECK(took >= kCallTimeout);
      CHECK(outcome == ChargeOutcome::kUnknown);
    }
    SUBCASE("Void: kDeadlineExceeded") {
      const auto start = Clock::now();
      const Result<ChargeState> r = bank.Void("stalled", kCallTimeout);
      CHECK(Clock::now() - start <= kCallTimeout + kReturnSlack);
      CHECK((!r.ok() && r.status().code() == StatusCode::kDeadlineExceeded));
    }
    CHECK(server.accepted() == 1);
    CHECK(bank.pool_counts().retried == 0);
  }

  TEST_CASE("`Connection: close` from the server: the connection is not used again") {
    SUBCASE("and the server closes it") {
      ScriptedHttpServer server([](int) { return ScriptedReply::kAnswerClose; });
      HttpBank bank(server.url(), kPoolSize);
      for (int i = 0; i < 3; ++i)
        REQUIRE(ChargeOnce(bank, "k" + std::to_string(i)) == ChargeOutcome::kCaptured);
      CHECK(server.accepted() == 3);
      CHECK(bank.pool_counts().reused == 0);
    }
    SUBCASE("but the server leaves it open: the client closes it") {
      ScriptedHttpServer server([](int) { return ScriptedReply::kAnswerCloseKeepOpen; });
      HttpBank bank(server.url(), kPoolSize);
      for (int i = 0; i < 3; ++i)
        REQUIRE(ChargeOnce(bank, "k" + std::to_string(i)) == ChargeOutcome::kCaptured);
      CHECK(server.accepted() == 3);
      CHECK(server.requests() == 3);
      CHECK(testing::WaitUntil([&] { return server.closed_by_client() == 3; }, kServerSeesBound));
      CHECK(bank.pool_counts().reused == 0);
    }
  }

  TEST_CASE("a kept connection the server closed while idle is dropped before use") {
    ScriptedHttpServer server([](int) { return ScriptedReply::kAnswerThenClose; });
    HttpBank bank(server.url(), kPoolSize);
    REQUIRE(ChargeOnce(bank, "first") == ChargeOutcome::kCaptured);
    REQUIRE(testing::WaitUntil([&] { return server.closed_by_server() == 1; }, kServerSeesBound));
    CHECK(ChargeOnce(bank, "second") == ChargeOutcome::kCaptured);
    CHECK(server.accepted() == 2);
    CHECK(server.requests() == 2);  // the closed one was never sent on
    CHECK(bank.pool_counts().reused == 0);
    CHECK(bank.pool_counts().retried == 0);
  }

  TEST_CASE("calls beyond pool_size open their own; at most pool_size are kept after") {
    constexpr int kCalls = 8;
    static_assert(kCalls > static_cast<int>(kPoolSize));
    ScriptedHttpServer server(AlwaysAnswer);
    server.HoldAnswersUntilWaiting(kCalls);  // all in flight at once: none can wait for another
    HttpBank bank(server.url(), kPoolSize);
    std::atomic<int> captured{0};
    std::vector<std::thread> callers;
    for (int i = 0; i < kCalls; ++i) {
      callers.emplace_back([&, i] {
        if (bank.Charge("c" + std::to_string(i), kAmount, milliseconds(5000)).outcome ==
            ChargeOutcome::kCaptured) {
          ++captured;
        }
      });
    }
    for (std::thread& t : callers) t.join();
    CHECK(captured == kCalls);
    CHECK(server.accepted() == kCalls);
    CHECK(testing::WaitUntil(
        [&] { return server.closed_by_client() == kCalls - static_cast<int>(kPoolSize); },
        kServerSeesBound));
    CHECK(testing::EstablishedClientsOf(PortOf(server)) == static_cast<int>(kPoolSize));
    // The kept ones serve the next calls.
    for (int i = 0; i < 3; ++i)
      REQUIRE(ChargeOnce(bank, "again" + std::to_string(i)) == ChargeOutcome::kCaptured);
    CHECK(server.accepted() == kCalls);
  }

  TEST_CASE("a connection idle longer than max_idle_age is closed, not used") {
    ScriptedHttpServer server(AlwaysAnswer);
    const HttpExchangeRequest get{"GET", "/anything"};
    SUBCASE("max_idle_age 0: none is old enough to keep") {
      HttpConnectionPool pool({server.url(), kPoolSize, milliseconds(0)});
      REQUIRE(pool.Call(get, kCallTimeout).ok());
      REQUIRE(pool.Call(get, kCallTimeout).ok());
      CHECK(server.accepted() == 2);
      CHECK(pool.counts().reused == 0);
      CHECK(testing::WaitUntil([&] { return server.closed_by_client() == 1; }, kServerSeesBound));
    }
    SUBCASE("max_idle_age a minute: reused") {
      HttpConnectionPool pool({server.url(), kPoolSize, std::chrono::minutes(1)});
      REQUIRE(pool.Call(get, kCallTimeout).ok());
      REQUIRE(pool.Call(get, kCallTimeout).ok());
      CHECK(server.accepted() == 1);
      CHECK(pool.counts().reused == 1);
    }
  }
}

}  // namespace
}  // namespace wanderluxe
