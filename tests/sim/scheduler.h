// The simulator's scheduler: actors run the real core, each in its own fiber
// (Boost.Context) on one OS thread, and exactly one runs at a time. Every
// port call and every wait is a scheduling point (Yield, SleepUnlessStopped),
// where the scheduler picks the next actor with its seeded RNG; time is a
// simulated clock it advances itself. A seed therefore replays its schedule
// exactly: nothing here reads the machine's clock or a random device.
//
// Invariant kOneAtATime: only the scheduler resumes an actor, and an actor
// gives control back only to the scheduler, so no two actors' steps overlap
// and a step's effect is atomic up to its next scheduling point.
//
// Thread safety: none; one thread builds, runs and reads a Scheduler. Core
// code may lock its mutexes inside an actor but must not hold one across a
// scheduling point (the core never holds a lock across a port call).
#ifndef WANDERLUXE_TESTS_SIM_SCHEDULER_H_
#define WANDERLUXE_TESTS_SIM_SCHEDULER_H_

#include <atomic>
#include <boost/context/fiber.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "wanderluxe/ports/clock.h"

namespace wanderluxe::sim {

using ActorId = int;

class Scheduler final : public Clock {
 public:
  explicit Scheduler(uint64_t seed);
  ~Scheduler() override;
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // An actor that runs `body` when first picked.
  ActorId Spawn(std::string name, std::function<void()> body);
  // Runs until every actor has finished or crashed, or `max_steps` passed.
  // False when steps ran out (a livelock, or a run too long to judge).
  bool Run(int64_t max_steps);

  // A scheduling point inside the running actor; `point` and `detail` name
  // it in the trace.
  void Yield(const char* point, const std::string& detail = {});
  // The running actor waits `ms` of simulated time (a slow answer): a
  // scheduling point named `point`.
  void Delay(int64_t ms, const char* point = "delay", const std::string& detail = {});
  // The running actor's process is paused (a stop-the-world pause, a frozen
  // VM): it is not picked again before `ms` of simulated time passed.
  void Freeze(int64_t ms) { Delay(ms); }
  // Unwinds the stack of every actor that has not finished (crashed, or cut
  // off by the step bound), while what its frames refer to still exists.
  void Reap();
  // The actor is never picked again: its process died where it stood.
  void Crash(ActorId actor);
  bool Finished(ActorId actor) const;
  ActorId current() const { return current_; }
  const std::string& NameOf(ActorId actor) const;

  // The seeded RNG, for the world and its ports.
  uint64_t Below(uint64_t n);               // uniform in [0, n)
  bool Chance(int64_t per_mille);           // true with probability per_mille / 1000
  int64_t Between(int64_t lo, int64_t hi);  // uniform in [lo, hi]

  // Clock.
  int64_t NowUnixMillis() override { return kEpochMs + now_ms_; }
  SteadyTime SteadyNow() override { return SteadyTime(std::chrono::milliseconds(now_ms_)); }
  bool SleepUnlessStopped(std::chrono::milliseconds delay, const std::atomic<bool>& stop) override;
  int64_t now_ms() const { return now_ms_; }

  // Keeps every step as a line, "<ms> <actor> <point> <detail>", for a
  // failure's report; off by default, since it costs more than a step.
  void KeepTrace() { keep_trace_ = true; }
  const std::vector<std::string>& trace() const { return trace_; }
  // Adds a line to the trace that is not a step (a fault, a decision).
  void Note(const char* what, const std::string& detail = {});
  // A hash of every step taken, kept always: two runs of a seed took the
  // same schedule exactly when their fingerprints are equal.
  uint64_t fingerprint() const { return fingerprint_; }
  int64_t steps() const { return steps_; }

 private:
  struct Actor;
  // The simulated time starts here (a fixed instant, so timestamps replay).
  static constexpr int64_t kEpochMs = 1'800'000'000'000;

  bool Runnable(const Actor& actor) const;
  void Record(const char* point, const std::string& detail);

  std::mt19937_64 rng_;
  std::vector<std::unique_ptr<Actor>> actors_;
  boost::context::fiber scheduler_;  // where a yielding actor returns to
  ActorId current_ = -1;
  int64_t now_ms_ = 0;
  int64_t steps_ = 0;
  bool keep_trace_ = false;
  std::vector<std::string> trace_;
  uint64_t fingerprint_ = 14695981039346656037ULL;  // FNV-1a offset basis
};

}  // namespace wanderluxe::sim

#endif  // WANDERLUXE_TESTS_SIM_SCHEDULER_H_
