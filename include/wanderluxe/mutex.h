// Mutex, MutexLock and CondVar: std::mutex and a condition variable, annotated
// for clang's thread-safety analysis (wanderluxe/thread_annotations.h). Every
// mutex in src/ and include/ is one of these, so that the WANDERLUXE_THREAD_SAFETY
// build proves each GUARDED_BY member is touched only under its lock. Modelled
// on LevelDB's port::Mutex and port::CondVar.
//
//   Mutex mu_;
//   CondVar ready_cv_{&mu_};
//   bool ready_ GUARDED_BY(mu_) = false;
//
//   MutexLock lock(&mu_);
//   ready_cv_.Wait([&]() REQUIRES(mu_) { return ready_; });
//
// Thread safety: a Mutex is shared by the threads it serialises; a
// MutexLock belongs to the thread that made it; CondVar waits and signals may
// run on any thread holding (waits) or not (signals) its mutex.
#ifndef WANDERLUXE_MUTEX_H_
#define WANDERLUXE_MUTEX_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "wanderluxe/check.h"
#include "wanderluxe/thread_annotations.h"

namespace wanderluxe {

class CAPABILITY("mutex") Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void Lock() ACQUIRE() {
    mu_.lock();
    owner_.store(std::this_thread::get_id(), std::memory_order_relaxed);
  }
  void Unlock() RELEASE() {
    owner_.store(std::thread::id(), std::memory_order_relaxed);
    mu_.unlock();
  }
  // Aborts unless the calling thread holds this mutex; tells the analysis it does.
  void AssertHeld() const ASSERT_CAPABILITY(this) {
    WL_CHECK(owner_.load(std::memory_order_relaxed) == std::this_thread::get_id(),
             "Mutex::AssertHeld: the calling thread does not hold the mutex");
  }

 private:
  std::mutex mu_;
  // The holder, for AssertHeld. Only the holder writes its own id, so a thread
  // reads its own id here exactly when it holds the mutex.
  std::atomic<std::thread::id> owner_{};
};

// Holds a Mutex for its scope.
class SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex* mu) ACQUIRE(mu) : mu_(mu) { mu_->Lock(); }
  ~MutexLock() RELEASE() { mu_->Unlock(); }

  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex* const mu_;
};

// A condition variable bound to one Mutex. Every wait must be called with that
// mutex held (checked at run time: the analysis cannot follow the pointer); it
// is released while the thread blocks and held again on return. A predicate
// reading GUARDED_BY members says so: `[&]() REQUIRES(mu_) { return ready_; }`.
class CondVar {
 public:
  explicit CondVar(Mutex* mu) : mu_(mu) {}
  CondVar(const CondVar&) = delete;
  CondVar& operator=(const CondVar&) = delete;

  // One wakeup, spurious or not.
  void Wait() NO_THREAD_SAFETY_ANALYSIS {
    mu_->AssertHeld();
    Relockable lock{mu_};
    cv_.wait(lock);
  }
  template <typename Predicate>
  void Wait(Predicate ready) NO_THREAD_SAFETY_ANALYSIS {
    mu_->AssertHeld();
    Relockable lock{mu_};
    cv_.wait(lock, std::move(ready));
  }
  // Returns ready(): false when the time ran out before it held.
  template <typename Rep, typename Period, typename Predicate>
  bool WaitFor(const std::chrono::duration<Rep, Period>& timeout,
               Predicate ready) NO_THREAD_SAFETY_ANALYSIS {
    return WaitUntil(std::chrono::steady_clock::now() + timeout, std::move(ready));
  }
  template <typename Clock, typename Duration, typename Predicate>
  bool WaitUntil(const std::chrono::time_point<Clock, Duration>& deadline,
                 Predicate ready) NO_THREAD_SAFETY_ANALYSIS {
    mu_->AssertHeld();
    Relockable lock{mu_};
    return cv_.wait_until(lock, deadline, std::move(ready));
  }

  void Signal() { cv_.notify_one(); }
  void SignalAll() { cv_.notify_all(); }

 private:
  // What std::condition_variable_any unlocks while blocked and locks again.
  struct Relockable {
    Mutex* mu;
    void lock() NO_THREAD_SAFETY_ANALYSIS { mu->Lock(); }
    void unlock() NO_THREAD_SAFETY_ANALYSIS { mu->Unlock(); }
  };

  Mutex* const mu_;
  std::condition_variable_any cv_;
};

}  // namespace wanderluxe

#endif  // WANDERLUXE_MUTEX_H_
