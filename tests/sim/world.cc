#include "sim/world.h"

#include <algorithm>
#include <atomic>
#include <deque>
#include <map>
#include <memory>
#include <set>

#include "fakes/admit_batch.h"
#include "sim/checker.h"
#include "sim/scheduler.h"
#include "sim/sim_ports.h"
#include "wanderluxe/batch_admission.h"
#include "wanderluxe/booking_saga.h"
#include "wanderluxe/metrics.h"
#include "wanderluxe/reconciler.h"
#include "wanderluxe/retry_policy.h"

namespace wanderluxe::sim {
namespace {

constexpr const char* kProperty = "dubai-suite";
// A world that has not settled after this many steps is a livelock.
constexpr int64_t kMaxSteps = 100'000;
// The settling reconciler's passes before what is left counts as stuck.
constexpr int kSettlePasses = 12;

// The saga's timing in the simulated world: the production shape (a lease
// that outlasts two bank calls, a payment deadline of a few calls), scaled
// down so a schedule crosses leases and deadlines in a few hundred steps.
constexpr std::chrono::milliseconds kBankTimeout{400};
constexpr std::chrono::milliseconds kLease{2000};
constexpr std::chrono::milliseconds kLeaseMargin{kBankTimeout + std::chrono::milliseconds(100)};
constexpr std::chrono::milliseconds kPaymentDeadline{1200};
constexpr std::chrono::milliseconds kWaitlistTimeout{3000};
constexpr std::chrono::milliseconds kReconcileThreshold{2500};
constexpr std::chrono::milliseconds kIdlePoll{50};
// The processor's backoff between attempts to park a booking (kParkRetry there).
const RetryPolicy kParkRetry{std::chrono::milliseconds(100), std::chrono::milliseconds(1000), 2, 0};

// One processor: its saga (one per process, as in production), its batches,
// its reconciler, and the actors that run them.
struct Process {
  std::string name;
  std::unique_ptr<BookingSaga> saga;
  std::unique_ptr<BatchAdmission> batches;
  std::unique_ptr<Reconciler> reconciler;
  std::atomic<bool> stop{false};
  std::vector<ActorId> actors;
};

class World {
 public:
  World(uint64_t seed, bool keep_trace)
      : seed_(seed),
        scheduler_(seed),
        calls_(scheduler_, plan_),
        inventory_(calls_),
        ledger_(calls_),
        bank_(calls_),
        views_(calls_),
        producer_(calls_, views_) {
    if (keep_trace) scheduler_.KeepTrace();
  }

  // Actors' stacks refer to the processes: unwound first.
  ~World() { scheduler_.Reap(); }

  WorldResult Run();

 private:
  void Choose();
  SagaOptions Options(const std::string& name);
  Process& StartProcess(int workers, bool batch_first);
  void Worker(Process& p, bool batch_first);
  void RunBatch(Process& p, std::vector<BookingEvent> events);
  // What the processor's worker does with a saga's answer for `event`
  // (BookingProcessor::Execute): done; or parked and dead-lettered after a
  // failure retrying cannot fix; or, when it cannot even be parked, run
  // again; or left for redelivery when the process stops.
  void Finish(Process& p, const BookingEvent& event, Status status);
  void Take(const BookingEvent& event) { in_hand_[scheduler_.current()].push_back(event); }
  void Done(const BookingEvent& event);
  void Killer(Process& victim);
  void Parker(Process& p, BookingEvent event);
  // `wanderluxe seed` raising the stock mid-sale; the waiters it hands units
  // to are the reconciler's to drive, as after the real seed.
  void Restocker();
  void ReconcilerLoop(Process& p);
  void Settle();

  const uint64_t seed_;
  Scheduler scheduler_;
  FaultPlan plan_;
  Calls calls_;
  SimInventory inventory_;
  SimLedger ledger_;
  SimBank bank_;
  SimViews views_;
  SimProducer producer_;
  MetricsRegistry metrics_;
  std::vector<std::unique_ptr<Process>> processes_;
  std::vector<BookingEvent> events_;                      // every event the gateway accepted
  std::deque<BookingEvent> delivered_;                    // waiting for a worker, in order
  std::map<ActorId, std::vector<BookingEvent>> in_hand_;  // taken, not yet done
  int64_t undone_ = 0;                                    // events not yet done
  std::string scenario_;
};

void World::Choose() {
  // One world in five is a bigger sale: longer waitlist chains, more racing.
  const bool big = scheduler_.Chance(200);
  const int64_t units = scheduler_.Between(1, big ? 5 : 3);
  const bool waitlist = scheduler_.Chance(500);
  inventory_.Seed(kProperty, units, waitlist ? WaitlistPolicy{3, 2} : WaitlistPolicy{});
  const int64_t bookings = scheduler_.Between(2, big ? 12 : 6);
  for (int64_t i = 0; i < bookings; ++i) {
    BookingEvent e;
    e.request = {"b" + std::to_string(i), kProperty, "", {100000 + i, "USD"}, "", ""};
    e.event_id = "e" + std::to_string(i);
    e.metadata.trace_id = "t" + std::to_string(i);
    events_.push_back(e);
    if (scheduler_.Chance(250)) events_.push_back(e);  // delivered twice
  }
  if (scheduler_.Chance(100)) {  // a bookingId reused with another payload
    BookingEvent reuse = events_.front();
    reuse.event_id = "e-reuse";
    reuse.request.amount.minor_units += 1;
    events_.push_back(reuse);
  }
  // Deliveries interleave: a shuffle by the seed.
  for (size_t i = events_.size(); i > 1; --i) {
    std::swap(events_[i - 1], events_[scheduler_.Below(i)]);
  }
  delivered_.assign(events_.begin(), events_.end());
  undone_ = static_cast<int64_t>(events_.size());

  const int64_t rate = scheduler_.Between(0, 120);
  plan_.error = rate;
  plan_.lost_reply = rate / 2;
  plan_.slow = scheduler_.Between(0, 100);
  plan_.freeze = scheduler_.Chance(400) ? scheduler_.Between(1, 30) : 0;
  plan_.freeze_ms = 3 * kLease.count();
  plan_.lag = scheduler_.Between(0, 200);
  plan_.decline = scheduler_.Between(0, 300);
  plan_.settle = scheduler_.Chance(400) ? scheduler_.Between(100, 1000) : 0;
  plan_.missing_topic = scheduler_.Between(0, 50);
  scenario_ = std::to_string(units) + " units" + (waitlist ? " + waitlist" : "") + ", " +
              std::to_string(bookings) + " bookings, " + std::to_string(events_.size()) +
              " events; faults/1000: error " + std::to_string(plan_.error) + ", lost reply " +
              std::to_string(plan_.lost_reply) + ", slow " + std::to_string(plan_.slow) +
              ", freeze " + std::to_string(plan_.freeze) + ", lag " + std::to_string(plan_.lag) +
              ", decline " + std::to_string(plan_.decline) + ", settle " +
              std::to_string(plan_.settle) + ", missing topic " +
              std::to_string(plan_.missing_topic);
}

SagaOptions World::Options(const std::string& name) {
  SagaOptions o;
  o.retry = {std::chrono::milliseconds(20), std::chrono::milliseconds(400), 2, 0};
  o.payment_deadline = kPaymentDeadline;
  o.bank_call_timeout = kBankTimeout;
  o.lease = kLease;
  o.lease_margin = kLeaseMargin;
  o.max_attempts = 3;
  o.outcomes_topic = "booking-outcomes";
  o.outcome_publish_timeout = std::chrono::milliseconds(500);
  o.driver_prefix = name;
  o.waitlist_timeout = kWaitlistTimeout;
  o.clock = &scheduler_;
  o.status_views = &views_;
  return o;
}

Process& World::StartProcess(int workers, bool batch_first) {
  auto p = std::make_unique<Process>();
  p->name = "p" + std::to_string(processes_.size());
  p->saga = std::make_unique<BookingSaga>(Options(p->name), inventory_, ledger_, bank_, producer_,
                                          metrics_);
  p->batches = std::make_unique<BatchAdmission>(*p->saga);
  p->reconciler = std::make_unique<Reconciler>(ledger_, *p->saga, kReconcileThreshold);
  Process& process = *p;
  processes_.push_back(std::move(p));
  for (int i = 0; i < workers; ++i) {
    const bool batch = batch_first && i == 0;
    process.actors.push_back(scheduler_.Spawn(process.name + "/w" + std::to_string(i),
                                              [this, &process, batch] { Worker(process, batch); }));
  }
  process.actors.push_back(scheduler_.Spawn(process.name + "/reconciler",
                                            [this, &process] { ReconcilerLoop(process); }));
  // As the processor lends workers to a turned-away waitlist: a process of
  // two or more workers lends up to two more drivers to the hand-over queue
  // whenever a call queues several (no draw of the seed: older seeds keep
  // their worlds).
  if (workers >= 2) {
    process.saga->LendDrivers([this, &process](size_t waiting) {
      for (size_t i = 0; i < std::min<size_t>(waiting, 2); ++i) {
        process.actors.push_back(scheduler_.Spawn(
            process.name + "/lent", [&process] { process.saga->DriveHandedOver(process.stop); }));
      }
    });
  }
  return process;
}

void World::Done(const BookingEvent& event) {
  auto& hand = in_hand_[scheduler_.current()];
  for (auto it = hand.begin(); it != hand.end(); ++it) {
    if (it->event_id == event.event_id) {
      hand.erase(it);
      --undone_;
      return;
    }
  }
}

void World::Finish(Process& p, const BookingEvent& event, Status status) {
  Backoff backoff(kParkRetry);
  while (!status.ok()) {
    if (p.stop.load()) return;  // redelivered
    Status parked = p.saga->Park(event, status.ToString(), p.stop);
    if (parked.ok() || parked.code() == StatusCode::kFailedPrecondition) {
      scheduler_.Note("dead-letter", event.request.booking_id + " (" + parked.ToString() + ")");
      break;
    }
    if (!scheduler_.SleepUnlessStopped(backoff.Next(), p.stop)) return;
    status = p.saga->DriveEvent(event, p.stop).status();
  }
  Done(event);
}

void World::Worker(Process& p, bool batch_first) {
  bool batch = batch_first;
  while (!p.stop.load()) {
    if (delivered_.empty()) {
      if (undone_ == 0) return;
      if (!scheduler_.SleepUnlessStopped(kIdlePoll, p.stop)) return;
      continue;
    }
    if (batch) {
      batch = false;
      std::vector<BookingEvent> events;
      const int64_t size = scheduler_.Between(2, 4);
      while (!delivered_.empty() && static_cast<int64_t>(events.size()) < size) {
        events.push_back(delivered_.front());
        delivered_.pop_front();
        Take(events.back());
      }
      RunBatch(p, std::move(events));
      continue;
    }
    BookingEvent event = delivered_.front();
    delivered_.pop_front();
    Take(event);
    auto result = p.saga->DriveEvent(event, p.stop);
    Finish(p, event, result.status());
  }
}

void World::RunBatch(Process& p, std::vector<BookingEvent> events) {
  auto admitted = fakes::AdmitBatch(*p.batches, events, p.stop);
  if (!admitted.ok()) {
    if (p.stop.load()) return;
    // The processor sends every event of a failed batch the one-by-one way.
    for (const auto& e : events) Finish(p, e, p.saga->DriveEvent(e, p.stop).status());
    return;
  }
  for (size_t i = 0; i < events.size(); ++i) {
    Admission& a = (*admitted)[i];
    const BookingEvent& e = events[i];
    switch (a.next) {
      case Admission::Next::kPublish: {
        Status published;
        p.saga->PublishOutcomeAsync(a.outcome, [&published](Status s) { published = s; });
        // A failed publish sends the event the one-by-one way.
        Finish(p, e, published.ok() ? published : p.saga->DriveEvent(e, p.stop).status());
        break;
      }
      case Admission::Next::kDriveAdmitted:
        Finish(p, e,
               p.saga->DriveAdmitted(a.record, a.driver, e.metadata.trace_id, p.stop).status());
        break;
      case Admission::Next::kDriveEvent:
        Finish(p, e, p.saga->DriveEvent(e, p.stop).status());
        break;
    }
  }
}

void World::Killer(Process& victim) {
  std::atomic<bool> never{false};
  scheduler_.SleepUnlessStopped(std::chrono::milliseconds(scheduler_.Between(1, 3000)), never);
  if (undone_ == 0) return;
  for (ActorId a : victim.actors) {
    if (scheduler_.Finished(a)) continue;
    // Kafka delivers what the dead member had not committed to the new one.
    for (const auto& e : in_hand_[a]) delivered_.push_back(e);
    in_hand_[a].clear();
    scheduler_.Crash(a);
  }
  StartProcess(static_cast<int>(scheduler_.Between(1, 2)), false);
}

void World::Parker(Process& p, BookingEvent event) {
  scheduler_.SleepUnlessStopped(std::chrono::milliseconds(scheduler_.Between(0, 2000)), p.stop);
  // As a worker whose saga failed for good: park, or run again until it can.
  Backoff backoff(kParkRetry);
  while (true) {
    Status parked = p.saga->Park(event, "sim: given up by a worker", p.stop);
    scheduler_.Note("parker", event.request.booking_id + " " + parked.ToString());
    if (parked.ok() || parked.code() == StatusCode::kFailedPrecondition) return;
    if (!scheduler_.SleepUnlessStopped(backoff.Next(), p.stop)) return;
    if (p.saga->DriveEvent(event, p.stop).ok()) return;
  }
}

void World::Restocker() {
  std::atomic<bool> never{false};
  scheduler_.SleepUnlessStopped(std::chrono::milliseconds(scheduler_.Between(0, 3000)), never);
  const int64_t units = inventory_.properties().at(kProperty).total + scheduler_.Between(1, 2);
  for (int attempt = 0; attempt < 3; ++attempt) {
    auto handed = inventory_.Restock(kProperty, units);
    scheduler_.Note("restock", std::to_string(units) + " " + handed.status().ToString());
    if (handed.ok() || handed.status().code() == StatusCode::kFailedPrecondition) return;
  }
}

void World::ReconcilerLoop(Process& p) {
  while (undone_ > 0) {
    if (!scheduler_.SleepUnlessStopped(kReconcileThreshold, p.stop)) return;
    (void)p.reconciler->RunOnce(p.stop);
  }
}

void World::Settle() {
  plan_.enabled = false;
  Process& last = StartProcess(0, false);
  scheduler_.Spawn("settler", [this, &last] {
    for (int pass = 0; pass < kSettlePasses; ++pass) {
      scheduler_.SleepUnlessStopped(kReconcileThreshold + kLease, last.stop);
      auto report = last.reconciler->RunOnce(last.stop);
      if (report.ok() && report->found == 0) return;
    }
  });
}

WorldResult World::Run() {
  Choose();
  const int first_workers = static_cast<int>(scheduler_.Between(1, 3));
  Process& first = StartProcess(first_workers, scheduler_.Chance(400));
  if (scheduler_.Chance(300)) StartProcess(static_cast<int>(scheduler_.Between(1, 2)), false);
  if (scheduler_.Chance(300)) {
    scheduler_.Spawn("killer", [this, &first] { Killer(first); });
  }
  if (scheduler_.Chance(150)) scheduler_.Spawn("restocker", [this] { Restocker(); });
  if (scheduler_.Chance(150)) {
    BookingEvent event = events_[scheduler_.Below(events_.size())];
    Process& p = *processes_.back();
    scheduler_.Spawn("parker", [this, &p, event] { Parker(p, event); });
  }
  WorldResult result;
  result.seed = seed_;
  result.scenario = scenario_;
  if (!scheduler_.Run(kMaxSteps)) {
    result.violations.push_back("livelock: the world did not settle in " +
                                std::to_string(kMaxSteps) + " steps");
  } else {
    Settle();
    if (!scheduler_.Run(kMaxSteps)) {
      result.violations.push_back("livelock while settling");
    }
  }
  if (result.violations.empty()) {
    result.violations = Check(events_, inventory_.properties().at(kProperty), ledger_.Truth(),
                              bank_.book(), producer_.written());
    CheckViews(
        producer_.written(), producer_.views_at_write(), ledger_.Truth(),
        [this](const std::string& id) { return views_.Find(id); }, result.violations);
  }
  result.fingerprint = scheduler_.fingerprint();
  result.steps = scheduler_.steps();
  result.trace = scheduler_.trace();
  return result;
}

}  // namespace

WorldResult RunWorld(uint64_t seed, bool keep_trace) {
  World world(seed, keep_trace);
  return world.Run();
}

}  // namespace wanderluxe::sim
