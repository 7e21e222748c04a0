// Fakes of the status read path's ports: StatusReads over a map (answered at
// once, or held until the test releases them), a TopicTail fed by the test,
// and a Clock whose steady time the test sets.
//
// Thread safety: each fake's calls may run concurrently from any thread; a
// ReadAsync answered at once runs its `done` on the calling thread, a held one
// on the thread that calls ReleaseReads.
#ifndef WANDERLUXE_TESTS_FAKES_FAKE_STATUS_H_
#define WANDERLUXE_TESTS_FAKES_FAKE_STATUS_H_

#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "wanderluxe/mutex.h"
#include "wanderluxe/ports/clock.h"
#include "wanderluxe/ports/status_reads.h"
#include "wanderluxe/ports/topic_tail.h"

namespace wanderluxe::fakes {

class FakeStatusReads : public StatusReads {
 public:
  void SetView(StatusView view) {
    MutexLock lock(&mu_);
    known_[view.booking_id].view = std::move(view);
  }
  void SetAccepted(AcceptedBooking accepted) {
    MutexLock lock(&mu_);
    known_[accepted.request.booking_id].accepted = std::move(accepted);
  }
  // Runs after a read has been taken and before it is answered (or held):
  // where a test lands an outcome between a read and its answer.
  void AfterRead(std::function<void()> hook) {
    MutexLock lock(&mu_);
    after_read_ = std::move(hook);
  }
  // While held, reads are answered only by ReleaseReads.
  void Hold(bool hold) {
    MutexLock lock(&mu_);
    hold_ = hold;
  }
  // Answers every held read, in order; how many.
  size_t ReleaseReads() {
    std::vector<std::function<void()>> held;
    {
      MutexLock lock(&mu_);
      held.swap(held_);
    }
    for (auto& answer : held) answer();
    return held.size();
  }
  int reads() const { return reads_.load(); }

  void ReadAsync(const std::string& booking_id, StatusReadCallback done) override {
    ++reads_;
    BookingStatusRead read;
    std::function<void()> hook;
    {
      MutexLock lock(&mu_);
      auto it = known_.find(booking_id);
      if (it != known_.end()) read = it->second;
      if (read.view) read.accepted.reset();  // as RedisStatusReads: the view replaces it
      hook = after_read_;
    }
    if (hook) hook();
    auto answer = [read = std::move(read), done = std::move(done)] { done(read); };
    {
      MutexLock lock(&mu_);
      if (hold_) return held_.push_back(std::move(answer));
    }
    answer();
  }

 private:
  Mutex mu_;
  std::map<std::string, BookingStatusRead> known_ GUARDED_BY(mu_);
  std::function<void()> after_read_ GUARDED_BY(mu_);
  bool hold_ GUARDED_BY(mu_) = false;
  std::vector<std::function<void()>> held_ GUARDED_BY(mu_);
  std::atomic<int> reads_{0};
};

class FakeTopicTail : public TopicTail {
 public:
  void Publish(const std::string& key, int64_t timestamp_ms = 0) {
    MutexLock lock(&mu_);
    ConsumedEvent event;
    event.key = key;
    event.timestamp_ms = timestamp_ms;
    events_.push_back(std::move(event));
    arrived_.Signal();
  }
  Result<std::optional<ConsumedEvent>> Poll(std::chrono::milliseconds timeout) override {
    MutexLock lock(&mu_);
    arrived_.WaitUntil(std::chrono::steady_clock::now() + timeout,
                       [&]() REQUIRES(mu_) { return !events_.empty(); });
    if (events_.empty()) return std::optional<ConsumedEvent>();
    ConsumedEvent event = std::move(events_.front());
    events_.pop_front();
    return std::optional<ConsumedEvent>(std::move(event));
  }

 private:
  Mutex mu_;
  CondVar arrived_{&mu_};
  std::deque<ConsumedEvent> events_ GUARDED_BY(mu_);
};

// Steady time only moves when the test moves it; the wall clock is the machine's.
class FakeSteadyClock : public Clock {
 public:
  void Advance(std::chrono::milliseconds by) {
    MutexLock lock(&mu_);
    now_ += by;
  }
  int64_t NowUnixMillis() override { return SystemClock().NowUnixMillis(); }
  SteadyTime SteadyNow() override {
    MutexLock lock(&mu_);
    return now_;
  }
  bool SleepUnlessStopped(std::chrono::milliseconds delay, const std::atomic<bool>& stop) override {
    return SystemClock().SleepUnlessStopped(delay, stop);
  }

 private:
  Mutex mu_;
  SteadyTime now_ GUARDED_BY(mu_) = SteadyTime{} + std::chrono::hours(1);
};

}  // namespace wanderluxe::fakes

#endif  // WANDERLUXE_TESTS_FAKES_FAKE_STATUS_H_
