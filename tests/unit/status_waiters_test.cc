// The waiting reads of GET with `Prefer: wait`: the registry's bound, wakes,
// timeouts on an explicit clock and shutdown; the Prefer parser; the answers
// with a wake between the read and the registration; the outcome watch.
#include <doctest/doctest.h>

#include <future>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "fakes/fake_status.h"
#include "roles/gateway/status_answers.h"
#include "wanderluxe/outcome_watch.h"
#include "wanderluxe/prefer_wait.h"
#include "wanderluxe/status_waiters.h"

namespace wanderluxe {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// How long a test waits for something a thread of its own does.
constexpr seconds kBound{10};

const Clock::SteadyTime kT0 = Clock::SteadyTime{} + std::chrono::hours(1);

// Records how each waiter ended.
struct Ends {
  std::vector<WaitEnd> seen;
  WaitDone Recorder() {
    return [this](WaitEnd end) { seen.push_back(end); };
  }
};

TEST_SUITE("unit.status_waiters") {
  TEST_CASE("a wake ends every waiter of its booking once, and no other") {
    StatusWaiters waiters(10);
    Ends a, b;
    REQUIRE(waiters.Register("b-1", kT0 + seconds(5), a.Recorder()));
    REQUIRE(waiters.Register("b-1", kT0 + seconds(5), a.Recorder()));
    REQUIRE(waiters.Register("b-2", kT0 + seconds(5), b.Recorder()));
    CHECK(waiters.Wake("b-1") == 2);
    CHECK(waiters.Wake("b-1") == 0);
    CHECK(a.seen == std::vector<WaitEnd>{WaitEnd::kWoken, WaitEnd::kWoken});
    CHECK(b.seen.empty());
    const WaiterCounts c = waiters.counts();
    CHECK(c.waiting == 1);
    CHECK(c.woken == 2);
  }

  TEST_CASE("past max_waiters a registration is refused and counted; room comes back") {
    StatusWaiters waiters(2);
    Ends e;
    REQUIRE(waiters.Register("b-1", kT0 + seconds(5), e.Recorder()));
    REQUIRE(waiters.Register("b-2", kT0 + seconds(5), e.Recorder()));
    CHECK_FALSE(waiters.Register("b-3", kT0 + seconds(5), e.Recorder()));
    CHECK(waiters.counts().refused == 1);
    CHECK(waiters.Wake("b-1") == 1);
    CHECK(waiters.Register("b-3", kT0 + seconds(5), e.Recorder()));
    StatusWaiters none(0);
    CHECK_FALSE(none.Register("b-1", kT0 + seconds(5), e.Recorder()));
  }

  TEST_CASE("Expire ends exactly the waiters whose deadline has come") {
    StatusWaiters waiters(10);
    Ends early, late;
    REQUIRE(waiters.Register("b-1", kT0 + seconds(1), early.Recorder()));
    REQUIRE(waiters.Register("b-2", kT0 + seconds(2), late.Recorder()));
    CHECK(waiters.Expire(kT0 + milliseconds(999)) == 0);
    CHECK(waiters.Expire(kT0 + seconds(1)) == 1);
    CHECK(early.seen == std::vector<WaitEnd>{WaitEnd::kTimedOut});
    CHECK(late.seen.empty());
    CHECK(waiters.Expire(kT0 + seconds(3)) == 1);
    CHECK(late.seen == std::vector<WaitEnd>{WaitEnd::kTimedOut});
    CHECK(waiters.counts().timed_out == 2);
    CHECK(waiters.counts().waiting == 0);
  }

  TEST_CASE("Cancel takes a waiting waiter out for good; an ended one is not cancelled") {
    StatusWaiters waiters(10);
    Ends e;
    auto id = waiters.Register("b-1", kT0 + seconds(1), e.Recorder());
    REQUIRE(id);
    CHECK(waiters.Cancel(*id));
    CHECK_FALSE(waiters.Cancel(*id));
    CHECK(waiters.Wake("b-1") == 0);
    CHECK(waiters.Expire(kT0 + seconds(2)) == 0);
    CHECK(e.seen.empty());
    auto woken = waiters.Register("b-1", kT0 + seconds(1), e.Recorder());
    REQUIRE(woken);
    waiters.Wake("b-1");
    CHECK_FALSE(waiters.Cancel(*woken));
    CHECK(e.seen.size() == 1);
  }

  TEST_CASE("Close ends every waiter and refuses new ones") {
    StatusWaiters waiters(10);
    Ends e;
    REQUIRE(waiters.Register("b-1", kT0 + seconds(1), e.Recorder()));
    REQUIRE(waiters.Register("b-2", kT0 + seconds(1), e.Recorder()));
    waiters.Close();
    CHECK(e.seen == std::vector<WaitEnd>{WaitEnd::kShutdown, WaitEnd::kShutdown});
    CHECK_FALSE(waiters.Register("b-3", kT0 + seconds(1), e.Recorder()));
    CHECK(waiters.counts().shut_down == 2);
    CHECK(waiters.counts().waiting == 0);
  }

  TEST_CASE("a waiter's done may use the registry (it runs unlocked)") {
    StatusWaiters waiters(10);
    bool registered_again = false;
    REQUIRE(waiters.Register("b-1", kT0 + seconds(1), [&](WaitEnd) {
      registered_again = waiters.Register("b-1", kT0 + seconds(9), [](WaitEnd) {}).has_value();
    }));
    CHECK(waiters.Wake("b-1") == 1);
    CHECK(registered_again);
    CHECK(waiters.counts().waiting == 1);
  }
}

TEST_SUITE("unit.prefer_wait") {
  constexpr int64_t kCap = 30;
  std::optional<int64_t> Parse(std::vector<std::string_view> headers) {
    return PreferredWaitSeconds(headers, kCap);
  }

  TEST_CASE("wait=N among other preferences and parameters, in any case") {
    CHECK(Parse({"wait=10"}) == 10);
    CHECK(Parse({"respond-async, wait=5"}) == 5);
    CHECK(Parse({"return=minimal; foo=bar, WAIT = 7 ; x=y"}) == 7);
    CHECK(Parse({"wait=\"4\""}) == 4);
    CHECK(Parse({"wait=0"}) == 0);
    CHECK(Parse({"respond-async", "wait=3"}) == 3);  // a second Prefer header
  }

  TEST_CASE("the first wait counts; one that is not delta-seconds is ignored") {
    CHECK(Parse({"wait=2, wait=9"}) == 2);
    CHECK(Parse({"wait=abc, wait=9"}) == std::nullopt);
    CHECK(Parse({"wait=-1"}) == std::nullopt);
    CHECK(Parse({"wait"}) == std::nullopt);
    CHECK(Parse({"wait="}) == std::nullopt);
    CHECK(Parse({"waiting=5"}) == std::nullopt);
    CHECK(Parse({}) == std::nullopt);
    CHECK(Parse({""}) == std::nullopt);
  }

  TEST_CASE("a wait past the cap is the cap, however many digits") {
    CHECK(Parse({"wait=31"}) == kCap);
    CHECK(Parse({"wait=99999999999999999999999999999"}) == kCap);
  }
}

// One request's answers, as the server's Responder would see them.
struct Answers {
  std::vector<ApiResponse> got;
  StatusAnswers::Respond Respond() {
    return [this](ApiResponse r) { got.push_back(std::move(r)); };
  }
  std::string Status(size_t i = 0) const {
    return nlohmann::json::parse(got.at(i).body).value("status", "");
  }
  std::string Header(const std::string& name, size_t i = 0) const {
    for (const auto& [k, v] : got.at(i).headers) {
      if (k == name) return v;
    }
    return "";
  }
};

StatusView View(const std::string& id, int64_t version, const std::string& status, bool terminal,
                const std::string& client = "") {
  return {id, version, client, terminal,
          R"({"bookingId":")" + id + R"(","status":")" + status + R"("})"};
}

AcceptedBooking Accepted(const std::string& id, const std::string& client = "") {
  AcceptedBooking a;
  a.request = {id, "p", "", {100, "USD"}, "", ""};
  a.event_id = "e";
  a.accepted_at = "2026-11-26T00:00:00.000Z";
  a.client_id = client;
  return a;
}

struct AnswersFixture {
  fakes::FakeStatusReads reads;
  fakes::FakeSteadyClock clock;
  StatusWaiters waiters{100};
  Histogram woken_to_answer{LatencyBuckets()};
  StatusAnswers answers{reads, waiters, clock, woken_to_answer};
};

TEST_SUITE("unit.status_answers") {
  TEST_CASE_FIXTURE(AnswersFixture, "the view as stored; the accepted record; else 404") {
    reads.SetView(View("b-1", 3, "CONFIRMED", true));
    reads.SetAccepted(Accepted("b-2"));
    Answers a;
    answers.Answer("b-1", "", std::nullopt, a.Respond());
    answers.Answer("b-2", "", std::nullopt, a.Respond());
    answers.Answer("b-3", "", std::nullopt, a.Respond());
    REQUIRE(a.got.size() == 3);
    CHECK(a.got[0].status == 200);
    CHECK(a.got[0].body == View("b-1", 3, "CONFIRMED", true).body);
    CHECK(a.got[1].status == 200);
    CHECK(a.Status(1) == "ACCEPTED");
    CHECK(a.got[2].status == 404);
  }

  TEST_CASE_FIXTURE(AnswersFixture, "another client's booking is a 404, and is not waited for") {
    reads.SetView(View("b-1", 1, "RESERVED", false, "client-a"));
    reads.SetAccepted(Accepted("b-2", "client-a"));
    Answers a;
    answers.Answer("b-1", "client-b", 10, a.Respond());
    answers.Answer("b-2", "client-b", 10, a.Respond());
    REQUIRE(a.got.size() == 2);
    CHECK(a.got[0].status == 404);
    CHECK(a.got[1].status == 404);
    CHECK(waiters.counts().waiting == 0);
  }

  TEST_CASE_FIXTURE(AnswersFixture, "a terminal view or an unknown id is answered at once") {
    reads.SetView(View("b-1", 3, "CONFIRMED", true));
    Answers a;
    answers.Answer("b-1", "", 10, a.Respond());
    answers.Answer("b-9", "", 10, a.Respond());
    REQUIRE(a.got.size() == 2);
    CHECK(a.Status(0) == "CONFIRMED");
    CHECK(a.got[1].status == 404);
    CHECK(waiters.counts().waiting == 0);
  }

  TEST_CASE_FIXTURE(AnswersFixture, "a booking in flight waits for its outcome, then reads again") {
    reads.SetAccepted(Accepted("b-1"));
    Answers a;
    answers.Answer("b-1", "", 10, a.Respond());
    CHECK(a.got.empty());
    CHECK(waiters.counts().waiting == 1);
    reads.SetView(View("b-1", 4, "CONFIRMED", true));
    CHECK(woken_to_answer.snapshot().count == 0);
    CHECK(waiters.Wake("b-1") == 1);
    REQUIRE(a.got.size() == 1);
    CHECK(a.Status() == "CONFIRMED");
    CHECK(a.Header("Preference-Applied") == "wait=10");
    CHECK(woken_to_answer.snapshot().count == 1);  // a wake's answer is timed
  }

  TEST_CASE_FIXTURE(AnswersFixture,
                    "an outcome between the read and its answer still wakes the request") {
    reads.SetView(View("b-1", 2, "RESERVED", false));
    // The outcome lands after Redis served the (stale) read, before the
    // gateway looks at it: the waiter, registered first, is there to wake.
    reads.AfterRead([&] {
      reads.AfterRead(nullptr);
      reads.SetView(View("b-1", 4, "CONFIRMED", true));
      waiters.Wake("b-1");
    });
    Answers a;
    answers.Answer("b-1", "", 10, a.Respond());
    REQUIRE(a.got.size() == 1);
    CHECK(a.Status() == "CONFIRMED");
    CHECK(waiters.counts().woken == 1);
    CHECK(waiters.counts().waiting == 0);
  }

  TEST_CASE_FIXTURE(AnswersFixture,
                    "a wake before the first read's answer: answered once, by the wake") {
    reads.SetView(View("b-1", 2, "RESERVED", false));
    reads.Hold(true);
    Answers a;
    answers.Answer("b-1", "", 10, a.Respond());
    reads.SetView(View("b-1", 4, "CONFIRMED", true));
    waiters.Wake("b-1");  // its read is held too
    CHECK(reads.ReleaseReads() == 2);
    REQUIRE(a.got.size() == 1);
    CHECK(a.Status() == "CONFIRMED");
    CHECK(a.Header("Preference-Applied") == "wait=10");
  }

  TEST_CASE_FIXTURE(AnswersFixture, "at its deadline the request is answered with its view now") {
    reads.SetAccepted(Accepted("b-1"));
    Answers a;
    answers.Answer("b-1", "", 2, a.Respond());
    clock.Advance(milliseconds(1999));
    CHECK(waiters.Expire(clock.SteadyNow()) == 0);
    CHECK(a.got.empty());
    clock.Advance(milliseconds(1));
    CHECK(waiters.Expire(clock.SteadyNow()) == 1);
    REQUIRE(a.got.size() == 1);
    CHECK(a.Status() == "ACCEPTED");
    CHECK(a.Header("Preference-Applied") == "wait=2");
    CHECK(woken_to_answer.snapshot().count == 0);  // no outcome: not a wake's answer
  }

  TEST_CASE("past max_waiters a read that asks to wait is answered at once, without the header") {
    fakes::FakeStatusReads reads;
    fakes::FakeSteadyClock clock;
    StatusWaiters waiters(1);
    Histogram woken_to_answer(LatencyBuckets());
    StatusAnswers answers(reads, waiters, clock, woken_to_answer);
    reads.SetAccepted(Accepted("b-1"));
    reads.SetAccepted(Accepted("b-2"));
    Answers first, second;
    answers.Answer("b-1", "", 10, first.Respond());
    answers.Answer("b-2", "", 10, second.Respond());
    CHECK(first.got.empty());
    REQUIRE(second.got.size() == 1);
    CHECK(second.Status() == "ACCEPTED");
    CHECK(second.Header("Preference-Applied").empty());
    CHECK(waiters.counts().refused == 1);
    waiters.Close();  // shutdown answers the waiting one with its view
    REQUIRE(first.got.size() == 1);
    CHECK(first.Status() == "ACCEPTED");
  }
}

TEST_SUITE("unit.outcome_watch") {
  TEST_CASE("an event's key wakes that booking's waiters; deadlines pass on the watch's clock") {
    fakes::FakeTopicTail tail;
    fakes::FakeSteadyClock clock;
    StatusWaiters waiters(10);
    std::promise<WaitEnd> woken, timed_out;
    REQUIRE(waiters.Register("b-1", clock.SteadyNow() + seconds(60),
                             [&](WaitEnd e) { woken.set_value(e); }));
    REQUIRE(waiters.Register("b-2", clock.SteadyNow() + seconds(1),
                             [&](WaitEnd e) { timed_out.set_value(e); }));
    Histogram lag(LatencyBuckets());
    OutcomeWatch watch(tail, waiters, clock, lag);
    watch.Start();
    // Produced 1.5 s ago (the producer's wall clock): a lag of at least that.
    tail.Publish("b-1", clock.NowUnixMillis() - 1500);
    auto w = woken.get_future();
    REQUIRE(w.wait_for(kBound) == std::future_status::ready);
    CHECK(w.get() == WaitEnd::kWoken);
    clock.Advance(seconds(1));
    auto t = timed_out.get_future();
    REQUIRE(t.wait_for(kBound) == std::future_status::ready);
    CHECK(t.get() == WaitEnd::kTimedOut);
    watch.Stop();
    CHECK(watch.events() == 1);
    CHECK(lag.snapshot().count == 1);
    CHECK(lag.snapshot().sum >= 1.5);
  }
}

}  // namespace
}  // namespace wanderluxe
