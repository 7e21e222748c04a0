#include "wanderluxe/mutex.h"

#include <doctest/doctest.h>

#include <chrono>
#include <thread>
#include <vector>

namespace wanderluxe {
namespace {

// A one-slot mailbox: what the annotations and the CondVar are for.
class Mailbox {
 public:
  void Put(int v) EXCLUDES(mu_) {
    {
      MutexLock lock(&mu_);
      values_.push_back(v);
    }
    ready_cv_.Signal();
  }
  int Take() EXCLUDES(mu_) {
    MutexLock lock(&mu_);
    ready_cv_.Wait([&]() REQUIRES(mu_) { return !values_.empty(); });
    return PopLocked();
  }
  bool TakeFor(std::chrono::milliseconds timeout, int* out) EXCLUDES(mu_) {
    MutexLock lock(&mu_);
    if (!ready_cv_.WaitFor(timeout, [&]() REQUIRES(mu_) { return !values_.empty(); })) {
      return false;
    }
    *out = PopLocked();
    return true;
  }

 private:
  int PopLocked() REQUIRES(mu_) {
    mu_.AssertHeld();
    const int v = values_.front();
    values_.erase(values_.begin());
    return v;
  }

  Mutex mu_;
  CondVar ready_cv_{&mu_};
  std::vector<int> values_ GUARDED_BY(mu_);
};

TEST_SUITE("unit.mutex") {
  TEST_CASE("a wait with a predicate returns once another thread made it true") {
    Mailbox box;
    std::thread producer([&] {
      for (int i = 0; i < 1000; ++i) box.Put(i);
    });
    int64_t sum = 0;
    for (int i = 0; i < 1000; ++i) sum += box.Take();
    producer.join();
    CHECK(sum == 999 * 1000 / 2);
  }

  TEST_CASE("a timed wait gives up after its timeout and says so") {
    Mailbox box;
    int v = 0;
    const auto t0 = std::chrono::steady_clock::now();
    CHECK_FALSE(box.TakeFor(std::chrono::milliseconds(20), &v));
    CHECK(std::chrono::steady_clock::now() - t0 >= std::chrono::milliseconds(20));
    box.Put(7);
    CHECK(box.TakeFor(std::chrono::milliseconds(20), &v));
    CHECK(v == 7);
  }

  TEST_CASE("AssertHeld passes on whichever thread holds the mutex (it aborts on any other)") {
    Mutex mu;
    {
      MutexLock lock(&mu);
      mu.AssertHeld();
    }
    std::thread other([&] {
      MutexLock lock(&mu);
      mu.AssertHeld();
    });
    other.join();
    MutexLock lock(&mu);  // released by the other thread, free again here
    mu.AssertHeld();
  }
}

}  // namespace
}  // namespace wanderluxe
