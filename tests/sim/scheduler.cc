#include "sim/scheduler.h"

#include <boost/context/fixedsize_stack.hpp>
#include <limits>

#include "wanderluxe/check.h"

namespace wanderluxe::sim {
namespace {

namespace ctx = boost::context;

// Deep enough for the saga's deepest call (a hand-over driven from a
// release inside a drive) with spdlog formatting on top.
constexpr size_t kStackBytes = 256 * 1024;

void Mix(uint64_t& hash, std::string_view bytes) {
  for (unsigned char c : bytes) {
    hash ^= c;
    hash *= 1099511628211ULL;  // FNV-1a prime
  }
}

}  // namespace

struct Scheduler::Actor {
  std::string name;
  std::function<void()> body;
  const std::atomic<bool>* stop = nullptr;  // set while in SleepUnlessStopped
  ctx::fiber fiber;
  bool started = false;
  bool done = false;
  bool crashed = false;
  int64_t wake_ms = 0;
  bool stop_wakes = false;  // sleeping in SleepUnlessStopped, not in a port call
};

Scheduler::Scheduler(uint64_t seed) : rng_(seed) {}

Scheduler::~Scheduler() { Reap(); }

void Scheduler::Reap() {
  WL_CHECK(current_ == -1, "Reap is called from outside every actor");
  actors_.clear();
}

ActorId Scheduler::Spawn(std::string name, std::function<void()> body) {
  auto actor = std::make_unique<Actor>();
  actor->name = std::move(name);
  actor->body = std::move(body);
  actor->wake_ms = now_ms_;
  actors_.push_back(std::move(actor));
  return static_cast<ActorId>(actors_.size() - 1);
}

bool Scheduler::Runnable(const Actor& a) const {
  if (a.wake_ms <= now_ms_) return true;
  return a.stop_wakes && a.stop != nullptr && a.stop->load();
}

bool Scheduler::Run(int64_t max_steps) {
  WL_CHECK(current_ == -1, "Run is called from outside every actor");
  std::vector<ActorId> ready;
  while (true) {
    ready.clear();
    int64_t next_wake = std::numeric_limits<int64_t>::max();
    bool alive = false;
    for (size_t i = 0; i < actors_.size(); ++i) {
      const Actor& a = *actors_[i];
      if (a.done || a.crashed) continue;
      alive = true;
      if (Runnable(a)) {
        ready.push_back(static_cast<ActorId>(i));
      } else {
        next_wake = std::min(next_wake, a.wake_ms);
      }
    }
    if (!alive) return true;
    if (ready.empty()) {
      now_ms_ = next_wake;  // everyone waits: time jumps to the first wake-up
      continue;
    }
    if (steps_ >= max_steps) return false;
    const ActorId id = ready[Below(ready.size())];
    Actor& a = *actors_[id];
    current_ = id;
    a.stop_wakes = false;
    if (!a.started) {
      a.started = true;
      a.fiber = ctx::fiber(std::allocator_arg, ctx::fixedsize_stack(kStackBytes),
                           [this, &a](ctx::fiber&& scheduler) {
                             scheduler_ = std::move(scheduler);
                             a.body();
                             a.done = true;
                             return std::move(scheduler_);
                           });
    }
    a.fiber = std::move(a.fiber).resume();
    current_ = -1;
  }
}

void Scheduler::Record(const char* point, const std::string& detail) {
  Mix(fingerprint_, std::to_string(now_ms_));
  Mix(fingerprint_, std::to_string(current_));
  Mix(fingerprint_, point);
  Mix(fingerprint_, detail);
  if (keep_trace_) {
    trace_.push_back(std::to_string(now_ms_) + " " +
                     (current_ >= 0 ? actors_[current_]->name : std::string("-")) + " " + point +
                     (detail.empty() ? "" : " " + detail));
  }
}

void Scheduler::Note(const char* what, const std::string& detail) { Record(what, detail); }

void Scheduler::Yield(const char* point, const std::string& detail) {
  WL_CHECK(current_ >= 0, "Yield is called from inside an actor");
  ++steps_;
  Record(point, detail);
  scheduler_ = std::move(scheduler_).resume();
}

void Scheduler::Delay(int64_t ms, const char* point, const std::string& detail) {
  WL_CHECK(current_ >= 0, "Delay is called from inside an actor");
  actors_[current_]->wake_ms = now_ms_ + ms;
  Yield(point, detail);
}

bool Scheduler::SleepUnlessStopped(std::chrono::milliseconds delay, const std::atomic<bool>& stop) {
  if (stop.load()) return false;
  Actor& a = *actors_[current_];
  a.wake_ms = now_ms_ + delay.count();
  a.stop_wakes = true;
  a.stop = &stop;
  Yield("sleep", std::to_string(delay.count()));
  a.stop = nullptr;
  return !stop.load();
}

void Scheduler::Crash(ActorId actor) {
  Actor& a = *actors_[actor];
  if (a.done || a.crashed) return;
  a.crashed = true;
  Note("crash", a.name);
  // An actor that crashes itself gives control back for good.
  if (actor == current_) scheduler_ = std::move(scheduler_).resume();
}

bool Scheduler::Finished(ActorId actor) const {
  const Actor& a = *actors_[actor];
  return a.done || a.crashed;
}

const std::string& Scheduler::NameOf(ActorId actor) const { return actors_[actor]->name; }

uint64_t Scheduler::Below(uint64_t n) { return n <= 1 ? 0 : rng_() % n; }

bool Scheduler::Chance(int64_t per_mille) {
  return static_cast<int64_t>(rng_() % 1000) < per_mille;
}

int64_t Scheduler::Between(int64_t lo, int64_t hi) {
  return lo + static_cast<int64_t>(Below(static_cast<uint64_t>(hi - lo + 1)));
}

}  // namespace wanderluxe::sim
