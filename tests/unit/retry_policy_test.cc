// RetryWithBackoff, the one retry loop of the saga, its batches and the
// processor: what ends it, and the delays it sleeps between attempts.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <vector>

#include "wanderluxe/retry_policy.h"

namespace wanderluxe {
namespace {

using std::chrono::milliseconds;

// Sleeps nothing: records each delay, and sets `stop` at the sleep it is told to.
class RecordingClock : public Clock {
 public:
  int64_t NowUnixMillis() override { return 0; }
  SteadyTime SteadyNow() override { return SteadyTime(); }
  bool SleepUnlessStopped(milliseconds delay, const std::atomic<bool>&) override {
    slept.push_back(delay);
    return static_cast<int>(slept.size()) != stop_at_sleep;
  }
  std::vector<milliseconds> slept;
  int stop_at_sleep = -1;
};

const RetryPolicy kPolicy{milliseconds(10), milliseconds(40), 2, 0};

// Fails with the given statuses in turn, then succeeds.
struct Script {
  std::vector<Status> failures;
  int calls = 0;
  Status operator()() {
    return calls < static_cast<int>(failures.size()) ? failures[calls++] : (++calls, Status::Ok());
  }
};

bool NoAnswer(const Status&) { return false; }
bool NotFoundIsAnAnswer(const Status& s) { return s.code() == StatusCode::kNotFound; }

TEST_SUITE("unit.retry") {
  TEST_CASE("transient failures are retried, with capped doubling delays, until success") {
    RecordingClock clock;
    std::atomic<bool> stop{false};
    Script script{{Status::Unavailable("a"), Status::Unavailable("b"), Status::Unavailable("c"),
                   Status::Unavailable("d")}};
    std::vector<int> told;
    Status s = RetryWithBackoff(
        kPolicy, RetryLimits{1, 0}, clock, stop, std::ref(script), NoAnswer,
        [&](const Status&, int attempt, milliseconds) { told.push_back(attempt); });
    CHECK(s.ok());
    CHECK(script.calls == 5);
    CHECK(clock.slept == std::vector<milliseconds>{milliseconds(10), milliseconds(20),
                                                   milliseconds(40), milliseconds(40)});
    CHECK(told == std::vector<int>{1, 2, 3, 4});
  }

  TEST_CASE("an answer ends it at once; hard failures end it at max_hard_failures") {
    RecordingClock clock;
    std::atomic<bool> stop{false};
    Script answered{{Status::NotFound("no")}};
    CHECK(RetryWithBackoff(kPolicy, RetryLimits{3, 0}, clock, stop, std::ref(answered),
                           NotFoundIsAnAnswer, [](const Status&, int, milliseconds) {})
              .code() == StatusCode::kNotFound);
    CHECK(answered.calls == 1);
    Script hard{{Status::Internal("x"), Status::Unavailable("t"), Status::Internal("y"),
                 Status::Internal("z")}};
    CHECK(RetryWithBackoff(kPolicy, RetryLimits{3, 0}, clock, stop, std::ref(hard), NoAnswer,
                           [](const Status&, int, milliseconds) {})
              .code() == StatusCode::kInternal);
    CHECK(hard.calls == 4);  // the transient one did not count
  }

  TEST_CASE("max_attempts bounds every failure; a stop during a backoff returns the last") {
    RecordingClock clock;
    std::atomic<bool> stop{false};
    Script bounded{{Status::Unavailable("1"), Status::Unavailable("2"), Status::Unavailable("3")}};
    CHECK(RetryWithBackoff(kPolicy, RetryLimits{2, 2}, clock, stop, std::ref(bounded), NoAnswer,
                           [](const Status&, int, milliseconds) {})
              .code() == StatusCode::kUnavailable);
    CHECK(bounded.calls == 2);
    RecordingClock stopping;
    stopping.stop_at_sleep = 2;
    Script stopped{{Status::Unavailable("1"), Status::Unavailable("2"), Status::Unavailable("3")}};
    CHECK(RetryWithBackoff(kPolicy, RetryLimits{1, 0}, stopping, stop, std::ref(stopped), NoAnswer,
                           [](const Status&, int, milliseconds) {})
              .code() == StatusCode::kUnavailable);
    CHECK(stopped.calls == 2);
  }
}

}  // namespace
}  // namespace wanderluxe
