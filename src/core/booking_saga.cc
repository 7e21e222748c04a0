#include "wanderluxe/booking_saga.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <deque>
#include <map>
#include <memory>

#include "wanderluxe/booking_view.h"
#include "wanderluxe/check.h"
#include "wanderluxe/ids.h"
#include "wanderluxe/outcome_event.h"

namespace wanderluxe {
namespace {

// The transaction id recorded for a charge the bank refused to void: the
// void's answer names none, and a settled charge must not look unpaid.
constexpr const char* kSettledTransaction = "settled";

// Errors that are answers, not failures: retrying cannot change them.
bool IsLogical(const Status& s) {
  switch (s.code()) {
    case StatusCode::kFailedPrecondition:
    case StatusCode::kAlreadyExists:
    case StatusCode::kNotFound:
    case StatusCode::kInvalidArgument:
      return true;
    default:
      return false;
  }
}

Status Interrupted(const std::string& booking_id) {
  return Status::Unavailable("saga for " + booking_id + " interrupted by shutdown");
}

std::string TurnedAwayWhy(const std::string& property_id) {
  return "every unit of " + property_id + " sold; turned away from the waitlist";
}

// How often TurnAway looks for its outcomes' verdicts.
constexpr std::chrono::milliseconds kVerdictPoll{1};

std::string WaitlistedDetail(const std::string& property_id, int64_t position) {
  return "every unit of " + property_id + " is held; waiting for one at position " +
         std::to_string(position) + " of the waitlist";
}

std::string HostName() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0) return "unknown-host";
  return name;
}

}  // namespace

SagaOptions SagaOptions::From(const Config& config) {
  const auto bank_timeout = std::chrono::milliseconds(config.bank.request_timeout_ms);
  // librdkafka's verdict on an outcome, or the producer's own "unknown", comes by then.
  const auto outcome_wait = std::chrono::milliseconds(LongestPublishMs(config.kafka));
  return {RetryPolicy::From(config.saga),
          std::chrono::milliseconds(config.saga.payment_deadline_ms),
          bank_timeout,
          std::chrono::milliseconds(config.saga.lease_ms),
          bank_timeout + std::chrono::milliseconds(kLeaseClockSkewMs),
          static_cast<int>(config.saga.max_attempts),
          config.kafka.outcomes_topic,
          outcome_wait,
          HostName() + ":" + std::to_string(getpid()) + ":" + NewUuid().substr(0, 8),
          std::chrono::milliseconds(config.saga.waitlist_timeout_ms)};
}

BookingSaga::BookingSaga(SagaOptions options, InventoryStore& inventory, Ledger& ledger, Bank& bank,
                         EventProducer& producer, MetricsRegistry& metrics)
    : options_(std::move(options)),
      clock_(*options_.clock),
      inventory_(inventory),
      ledger_(ledger),
      bank_(bank),
      producer_(producer),
      metrics_(metrics),
      compensations_(
          metrics.GetCounter("saga_compensations_total", "holds released after a failed payment")),
      rejected_(metrics.GetCounter("saga_rejected_total",
                                   "events reusing a bookingId with a different payload")),
      takeovers_(metrics.GetCounter("saga_lease_takeovers_total",
                                    "bookings taken over from a driver whose lease lapsed")),
      parked_(metrics.GetCounter("saga_parked_total",
                                 "bookings given up after an error retrying cannot fix")),
      waitlisted_(metrics.GetCounter("saga_waitlisted_total",
                                     "bookings that joined a waitlist (every unit was held)")),
      view_failures_(metrics.GetCounter(
          "saga_status_view_failures_total",
          "progress views not stored (best effort; an outcome's view is retried)")),
      bank_latency_(metrics.GetHistogram("bank_call_seconds", "latency of bank charge calls")) {
  WL_CHECK(options_.lease > 2 * options_.lease_margin,
           "a lease must outlast two external steps (config check enforces it)");
}

std::string BookingSaga::NewDriver() const {
  return options_.driver_prefix + "/" + std::to_string(++drivers_);
}

template <typename Call>
auto BookingSaga::Retry(const char* step, Call call, const std::atomic<bool>& stop)
    -> decltype(call()) {
  auto result = RetryWithBackoff(
      options_.retry, RetryLimits{options_.max_attempts, 0}, clock_, stop, call, IsLogical,
      [&](const Status& s, int attempt, std::chrono::milliseconds delay) {
        metrics_
            .GetCounter("saga_retries_total", "retried saga steps",
                        std::string("step=\"") + step + "\"")
            ->Increment();
        spdlog::warn("saga step {} failed (attempt {}): {}; retrying in {} ms", step, attempt,
                     s.ToString(), delay.count());
      });
  const Status s = StatusOf(result);
  if (!s.ok() && !IsLogical(s) && !s.IsTransient() && !stop.load()) {
    spdlog::error("saga step {} failed {} times with an error retrying cannot fix: {}", step,
                  options_.max_attempts, s.ToString());
  }
  return result;
}

template <typename Call>
auto BookingSaga::RetryBounded(const char* step, Call call, const std::atomic<bool>& stop)
    -> decltype(call()) {
  return RetryWithBackoff(options_.retry, RetryLimits{options_.max_attempts, options_.max_attempts},
                          clock_, stop, call, IsLogical,
                          [&](const Status& s, int attempt, std::chrono::milliseconds) {
                            spdlog::warn("{} failed (attempt {} of {}): {}", step, attempt,
                                         options_.max_attempts, s.ToString());
                          });
}

Result<SagaResult> BookingSaga::DriveEvent(const BookingEvent& event,
                                           const std::atomic<bool>& stop) {
  auto result = DriveEventOnce(event, stop);
  DriveHandedOver(stop);
  return result;
}

Result<SagaResult> BookingSaga::DriveEventOnce(const BookingEvent& event,
                                               const std::atomic<bool>& stop) {
  const std::string driver = NewDriver();
  bool recorded_before = false;
  auto record = Admit(event, driver, stop, recorded_before);
  if (!record.ok()) return record.status();
  // kNoLeak: an earlier delivery of this event may have reserved after its
  // booking gave its unit back (GivesUnitBack), or was recorded for another
  // property, and died before it could settle that: the ledger will never
  // release such a hold. Found on redelivery, it is given back now.
  const bool other_property = record->request.property_id != event.request.property_id;
  if (other_property || (recorded_before && GivesUnitBack(*record))) {
    if (Status s = GiveBackStray(event.request, record->request.property_id, stop); !s.ok()) {
      return s;
    }
  }
  if (record->fingerprint != event.request.Fingerprint())
    return Reject(std::move(*record), event, stop);
  return Drive(std::move(*record), driver, event.metadata.trace_id, /*wait_for_owner=*/true,
               /*announce=*/true, stop);
}

Result<SagaResult> BookingSaga::DriveRecord(const BookingRecord& record,
                                            const std::atomic<bool>& stop) {
  BookingRecord fresh = record;
  if (Status s = Reload(fresh, stop); !s.ok()) return s;
  auto result = Drive(std::move(fresh), NewDriver(), "", /*wait_for_owner=*/false,
                      /*announce=*/false, stop);
  DriveHandedOver(stop);
  return result;
}

// Looks the booking up first, then reserves, then records the booking with the
// reservation's result in one insert, holding the lease when it holds a unit.
// The brief inserts PENDING before reserving; this order keeps every guarantee
// (reserve is idempotent per bookingId; insert-if-absent picks one winner
// among racing duplicates) and saves a ledger write on the sold-out path,
// which is nearly every booking of a flash sale. See DESIGN.md.
bool BookingSaga::GivesUnitBack(const BookingRecord& record) {
  return (IsTerminal(record.status) && record.status != BookingStatus::kConfirmed) ||
         record.payment_status == PaymentStatus::kDeclined ||
         record.payment_status == PaymentStatus::kVoided;
}

Status BookingSaga::GiveBackStray(const BookingRequest& r, const std::string& recorded_property,
                                  const std::atomic<bool>& stop) {
  auto state = Retry(
      "leave waitlist",
      [&] {
        return inventory_.CheckWaitlist(r.property_id, r.booking_id, std::chrono::milliseconds(0));
      },
      stop);
  if (!state.ok()) return state.status();
  auto released = Retry(
      "release stray hold", [&] { return inventory_.Release(r.property_id, r.booking_id); }, stop);
  if (!released.ok()) return released.status();
  if (released->released) {
    spdlog::warn("booking {}: released a stray hold on {} (the booking, recorded for {}, has none)",
                 r.booking_id, r.property_id, recorded_property);
  }
  if (!released->handed_to.empty()) QueueHandOvers({released->handed_to});
  return Status::Ok();
}

Result<BookingRecord> BookingSaga::Admit(const BookingEvent& event, const std::string& driver,
                                         const std::atomic<bool>& stop, bool& recorded_before) {
  const BookingRequest& r = event.request;
  auto existing = Retry(
      "get", [&] { return ledger_.Get(r.booking_id); }, stop);
  if (!existing.ok()) return existing.status();
  recorded_before = existing->has_value();
  if (recorded_before) return std::move(**existing);  // redelivery, duplicate, or reuse

  auto reserved = Retry(
      "reserve", [&] { return inventory_.Reserve(r.property_id, r.booking_id); }, stop);
  if (!reserved.ok()) return reserved.status();
  BookingRecord fresh = AdmittedRecord(event, *reserved, driver);
  Status inserted = Retry(
      "insert", [&] { return ledger_.Insert(fresh); }, stop);
  if (inserted.ok()) return fresh;
  if (inserted.code() != StatusCode::kAlreadyExists) return inserted;
  // Lost the race to a duplicate of this booking: continue from its record.
  auto winner = Retry(
      "get", [&] { return ledger_.Get(r.booking_id); }, stop);
  if (!winner.ok()) return winner.status();
  if (!winner->has_value()) return Status::Internal("booking vanished after a duplicate insert");
  if (Status s = SettleLost(r, *reserved, **winner, stop); !s.ok()) return s;
  return std::move(**winner);
}

BookingRecord BookingSaga::AdmittedRecord(const BookingEvent& event, const Reservation& reserved,
                                          const std::string& driver) const {
  const BookingRequest& r = event.request;
  const ReserveOutcome o = reserved.outcome;
  const bool holds = o == ReserveOutcome::kReserved || o == ReserveOutcome::kAlreadyHeld ||
                     o == ReserveOutcome::kAlreadySold;
  const bool waits = o == ReserveOutcome::kWaitlisted;
  const std::string now = clock_.NowIso8601();
  BookingRecord fresh;
  fresh.request = r;
  fresh.client_id = event.metadata.client_id;
  fresh.fingerprint = r.Fingerprint();
  fresh.status = holds ? BookingStatus::kReserved
                       : (waits ? BookingStatus::kWaitlisted : BookingStatus::kSoldOut);
  fresh.payment_status = holds ? PaymentStatus::kPending : PaymentStatus::kNotAttempted;
  if (holds) fresh.lease = {driver, 1, clock_.NowUnixMillis() + options_.lease.count()};
  if (waits) fresh.waitlist_position = reserved.waitlist_position;
  fresh.created_at = now;
  fresh.updated_at = now;
  std::string detail;
  if (holds) {
    detail = "holding one unit of " + r.property_id;
  } else if (waits) {
    detail = WaitlistedDetail(r.property_id, reserved.waitlist_position);
  } else if (o == ReserveOutcome::kUnknownProperty) {
    detail = "property " + r.property_id + " has no inventory";
  } else {
    detail = "no unit available";
  }
  fresh.audit_log = {{"PENDING", now, "event " + event.event_id},
                     {std::string(BookingStatusName(fresh.status)), now, detail}};
  return fresh;
}

Status BookingSaga::SettleLostInsert(const BookingRequest& request, const Reservation& reserved,
                                     const BookingRecord& winner, const std::atomic<bool>& stop) {
  Status s = SettleLost(request, reserved, winner, stop);
  DriveHandedOver(stop);
  return s;
}

Status BookingSaga::SettleLost(const BookingRequest& r, const Reservation& reserved,
                               const BookingRecord& winner, const std::atomic<bool>& stop) {
  // A live winner of the same property is this very booking: the hold or the
  // place on the waitlist is its own. Unless it gives its unit back
  // (GivesUnitBack): then a unit or a place the booking has now is not the
  // winner's to keep, and goes back here (kNoLeak); a hold the winner still
  // has is given back once, by whichever release comes first. "Already
  // held" counts too: a retried reserve says so of the unit its own lost
  // answer took.
  const bool same_property = winner.request.property_id == r.property_id;
  const bool holds = reserved.outcome == ReserveOutcome::kReserved ||
                     reserved.outcome == ReserveOutcome::kAlreadyHeld;
  const bool waits = reserved.outcome == ReserveOutcome::kWaitlisted;
  if (same_property && (holds || waits) && GivesUnitBack(winner)) {
    return GiveBackStray(r, winner.request.property_id, stop);
  }
  if (same_property && reserved.outcome == ReserveOutcome::kReserved &&
      winner.status == BookingStatus::kWaitlisted) {
    // A fresh unit for a waiter: its entry had gone (turned away, or waited
    // out), and whoever ends it may have read Redis before this unit was
    // there. Settled now, as a hand-over is: the waiter takes the unit, or,
    // ended meanwhile, gives it back (StepWaitlisted).
    BookingRecord waiter = winner;
    return StepWaitlisted(waiter, /*owes=*/true, stop).status();
  }
  if (same_property && !IsTerminal(winner.status)) return Status::Ok();
  if (reserved.outcome == ReserveOutcome::kWaitlisted) {
    // Our reserve put the booking on the waitlist after the winner ended:
    // take it off, and give back a unit handed to it meanwhile.
    auto left = Retry(
        "leave waitlist",
        [&] {
          return inventory_.CheckWaitlist(r.property_id, r.booking_id,
                                          std::chrono::milliseconds(0));
        },
        stop);
    if (!left.ok()) return left.status();
    if (*left == WaitlistState::kHeld) return GiveBack(r.property_id, r.booking_id, stop);
  }
  return Status::Ok();
}

Status BookingSaga::GiveBack(const std::string& property_id, const std::string& booking_id,
                             const std::atomic<bool>& stop, bool bounded) {
  auto release = [&] { return inventory_.Release(property_id, booking_id); };
  auto released =
      bounded ? RetryBounded("release", release, stop) : Retry("release", release, stop);
  if (!released.ok()) return released.status();
  if (!released->handed_to.empty()) QueueHandOvers({released->handed_to});
  return Status::Ok();
}

void BookingSaga::QueueHandOvers(const std::vector<std::string>& booking_ids) {
  std::vector<HandOver> queued;
  queued.reserve(booking_ids.size());
  std::map<std::string, BookingRecord> read;
  if (booking_ids.size() > 1) {
    // One attempt: a waiter it misses (an error, an admission still
    // inserting) is read by its own drive, as a single hand-over is.
    auto recorded = ledger_.GetRecorded(booking_ids);
    if (recorded.ok()) {
      read = std::move(*recorded);
    } else {
      spdlog::warn("{} handed-over bookings not read at once ({}); each is read by its drive",
                   booking_ids.size(), recorded.status().ToString());
    }
  }
  for (const std::string& id : booking_ids) {
    auto it = read.find(id);
    queued.push_back({id, it == read.end() ? std::nullopt
                                           : std::optional<BookingRecord>(std::move(it->second))});
  }
  std::function<void(size_t)> lend;
  size_t waiting = 0;
  {
    MutexLock lock(&handed_over_mu_);
    for (HandOver& h : queued) handed_over_.push_back(std::move(h));
    waiting = handed_over_.size();
    lend = lend_drivers_;
  }
  if (lend && booking_ids.size() > 1) lend(waiting);
}

void BookingSaga::QueueTurnAway(std::vector<std::string> booking_ids) {
  if (booking_ids.empty()) return;
  MutexLock lock(&handed_over_mu_);
  turned_away_.push_back(std::move(booking_ids));
}

void BookingSaga::TurnAway(const std::vector<std::string>& booking_ids,
                           const std::atomic<bool>& stop) {
  if (booking_ids.size() < 2) return QueueHandOvers(booking_ids);
  // One attempt at each call: whatever it misses, a waiter's own drive does.
  auto recorded = ledger_.GetRecorded(booking_ids);
  if (!recorded.ok()) {
    spdlog::warn("{} turned-away bookings not read at once ({}); each is read by its drive",
                 booking_ids.size(), recorded.status().ToString());
    return QueueHandOvers(booking_ids);
  }
  std::vector<BookingRecord> waiting;
  std::vector<LedgerTransition> ends;
  std::vector<std::string> by_drive;
  for (const std::string& id : booking_ids) {
    auto it = recorded->find(id);
    if (it == recorded->end() || it->second.status != BookingStatus::kWaitlisted) {
      by_drive.push_back(id);
      continue;
    }
    const BookingRecord& record = it->second;
    // kOutcomeOwed with the end itself: no event of this call is redelivered.
    LedgerChange end = DecisionTo(record, BookingStatus::kSoldOut, PaymentStatus::kNotAttempted, "",
                                  "SOLD_OUT", TurnedAwayWhy(record.request.property_id));
    end.outcome_owed = true;
    ends.push_back({id, record.status, record.version, std::move(end)});
    waiting.push_back(record);
  }
  const std::vector<Status> claimed = ledger_.TransitionMany(ends);
  std::vector<BookingRecord> ended;
  for (size_t i = 0; i < ends.size(); ++i) {
    if (claimed[i].ok()) {
      ApplyChange(waiting[i], ends[i].change);
      ended.push_back(std::move(waiting[i]));
    } else {
      by_drive.push_back(ends[i].booking_id);  // moved by another driver, or unknown
    }
  }
  PublishEnded(std::move(ended), stop);
  QueueHandOvers(by_drive);
}

void BookingSaga::PublishEnded(std::vector<BookingRecord> ended, const std::atomic<bool>& stop) {
  if (ended.empty()) return;
  // Without their views no outcome goes out; they owe, for the reconciler.
  if (Status s = ShowStatuses(ended, stop); !s.ok()) {
    spdlog::warn("{} turned-away bookings' views not stored ({}); the reconciler publishes them",
                 ended.size(), s.ToString());
    return;
  }
  // Shared with the producer's reports, which may come after this call gave up.
  struct Verdicts {
    Mutex mu;
    std::vector<Status> of GUARDED_BY(mu);
    std::atomic<size_t> answered{0};
  };
  auto verdicts = std::make_shared<Verdicts>();
  {
    MutexLock lock(&verdicts->mu);
    verdicts->of.assign(ended.size(), Status::DeadlineExceeded("no verdict in time"));
  }
  for (size_t i = 0; i < ended.size(); ++i) {
    producer_.PublishAsync(OutcomeMessage(ended[i], SagaVerdict::kTerminal, ""),
                           [verdicts, i](Status s) {
                             {
                               MutexLock lock(&verdicts->mu);
                               verdicts->of[i] = std::move(s);
                             }
                             verdicts->answered.fetch_add(1, std::memory_order_release);
                           });
  }
  const int64_t give_up_ms = clock_.NowUnixMillis() + options_.outcome_publish_timeout.count();
  while (verdicts->answered.load(std::memory_order_acquire) < ended.size() &&
         clock_.NowUnixMillis() < give_up_ms) {
    if (!clock_.SleepUnlessStopped(kVerdictPoll, stop)) break;
  }
  std::vector<Status> of;
  {
    MutexLock lock(&verdicts->mu);
    of = verdicts->of;
  }
  std::vector<PublishedOutcome> paid;
  for (size_t i = 0; i < ended.size(); ++i) {
    BookingRecord& record = ended[i];
    if (!of[i].ok()) {
      // As a drive's end: published again (same eventId) until written.
      if (Status s = PublishOutcome(record, SagaVerdict::kTerminal, "", stop); !s.ok()) {
        spdlog::warn("booking {}: outcome not published ({}); the reconciler publishes it",
                     record.request.booking_id, s.ToString());
        continue;
      }
    }
    CountOutcome(record.status);
    paid.push_back({record.request.booking_id, record.version});
  }
  // One attempt: a debt left standing only makes the reconciler publish again.
  if (Status s = ledger_.MarkOutcomesPublished(paid); !s.ok()) {
    spdlog::info(
        "{} turned-away outcomes published, not all marked so ({}); the reconciler "
        "publishes those again",
        paid.size(), s.ToString());
  }
}

void BookingSaga::LendDrivers(std::function<void(size_t waiting)> lend) {
  MutexLock lock(&handed_over_mu_);
  lend_drivers_ = std::move(lend);
}

void BookingSaga::DriveHandedOver(const std::atomic<bool>& stop) {
  // A waiter driven here may fail its payment and hand its unit on in turn:
  // it joins the queue, and this loop drives it next. Any caller may drive
  // any booking queued here; one left by shutdown goes to the reconciler.
  while (!stop.load()) {
    std::optional<std::vector<std::string>> waitlist;
    HandOver next;
    {
      MutexLock lock(&handed_over_mu_);
      if (!turned_away_.empty()) {
        waitlist = std::move(turned_away_.front());
        turned_away_.pop_front();
      } else if (handed_over_.empty()) {
        return;
      } else {
        next = std::move(handed_over_.front());
        handed_over_.pop_front();
      }
    }
    if (waitlist) {
      TurnAway(*waitlist, stop);
    } else {
      DriveWaiter(next.booking_id, std::move(next.record), stop);
    }
  }
}

void BookingSaga::DriveWaiter(const std::string& id, std::optional<BookingRecord> known,
                              const std::atomic<bool>& stop) {
  Result<std::optional<BookingRecord>> found = std::move(known);
  if (!found->has_value()) {
    found = Retry(
        "get", [&] { return ledger_.Get(id); }, stop);
  }
  if (!found.ok() || !found->has_value()) {
    // Not in the ledger yet: its admission checks the waitlist after its
    // insert. Unreadable: the reconciler goes on with it.
    spdlog::info(
        "waitlisted booking {} not driven now ({}); left to its admission or the "
        "reconciler",
        id, found.ok() ? "not recorded yet" : found.status().ToString());
    return;
  }
  const BookingRecord& record = **found;
  if (GivesUnitBack(record)) {
    // kNoLeak: a unit handed to an entry whose booking had already ended, or
    // decided to give its unit back (a duplicate's late reserve, a crash),
    // is nobody's: it goes on down the line.
    const std::string& property = record.request.property_id;
    auto state = Retry(
        "waitlist",
        [&] { return inventory_.CheckWaitlist(property, id, std::chrono::milliseconds(0)); }, stop);
    if (state.ok() && *state == WaitlistState::kHeld) {
      spdlog::warn("booking {} is {} but was handed a unit of {}; giving it on", id,
                   BookingStatusName(record.status), property);
      if (Status s = GiveBack(property, id, stop); !s.ok()) {
        spdlog::warn("booking {}: {}; the reconciler goes on", id, s.ToString());
      }
    }
    return;
  }
  if (record.status != BookingStatus::kWaitlisted) return;
  auto result = Drive(std::move(**found), NewDriver(), "", /*wait_for_owner=*/false,
                      /*announce=*/false, stop);
  if (!result.ok()) {
    spdlog::warn("waitlisted booking {}: {}; the reconciler goes on with it", id,
                 result.status().ToString());
  }
}

Result<SagaResult> BookingSaga::DriveAdmitted(BookingRecord record, const std::string& driver,
                                              const std::string& trace_id,
                                              const std::atomic<bool>& stop) {
  auto result = Drive(std::move(record), driver, trace_id, /*wait_for_owner=*/true,
                      /*announce=*/true, stop);
  DriveHandedOver(stop);
  return result;
}

// At least once per booking, as the outcomes are: the drills rely on it (a
// survivor's count includes the redelivered bookings its dead peer finished).
void BookingSaga::CountOutcome(BookingStatus status) {
  metrics_
      .GetCounter("saga_outcomes_total",
                  "terminal outcomes published, at least once per booking (a redelivery "
                  "or a second driver of a finished booking counts it again)",
                  "status=\"" + std::string(BookingStatusName(status)) + "\"")
      ->Increment();
}

Result<SagaResult> BookingSaga::Reject(BookingRecord record, const BookingEvent& event,
                                       const std::atomic<bool>& stop) {
  // Same bookingId, different payload: touch nothing but the booking's
  // auditLog, and answer REJECTED.
  rejected_->Increment();
  const std::string detail = "event " + event.event_id + " reused this bookingId for " +
                             event.request.property_id + " with a different payload; rejected";
  for (int attempt = 0; attempt < options_.max_attempts; ++attempt) {
    LedgerChange change{record.status,
                        record.payment_status,
                        "",
                        LedgerEntry{"REJECTED", clock_.NowIso8601(), detail},
                        std::nullopt,
                        ""};
    Status s = Retry(
        "ledger",
        [&] {
          return ledger_.Transition(record.request.booking_id, record.status, record.version,
                                    change);
        },
        stop);
    if (s.ok()) break;
    if (s.code() != StatusCode::kFailedPrecondition) return s;
    // Its driver moved it: again.
    if (Status r = Reload(record, stop, /*lost_claim=*/true); !r.ok()) return r;
  }
  BookingRecord answer = record;
  answer.request = event.request;
  if (Status s = PublishOutcome(answer, SagaVerdict::kRejected, event.metadata.trace_id, stop);
      !s.ok()) {
    return s;
  }
  return SagaResult{SagaVerdict::kRejected, record.status};
}

Result<SagaResult> BookingSaga::Drive(BookingRecord record, const std::string& driver,
                                      const std::string& trace_id, bool wait_for_owner,
                                      bool announce, const std::atomic<bool>& stop) {
  Backoff waiting(options_.retry);
  // A move onto the waitlist by this drive is announced whoever drives.
  bool joined_waitlist = false;
  int64_t shown_version = 0;  // the newest version this drive stored a view of
  while (!IsTerminal(record.status)) {
    if (stop.load()) {
      HandBackLease(record, driver);
      return Interrupted(record.request.booking_id);
    }
    // kOutcomeOwed: no event of this drive would be delivered again. A
    // waiting booking owes with the decision that ends it (StepWaitlisted),
    // one compare-and-set fewer for each waiter a sale turns away.
    if (!record.lease.HeldByAnother(driver, clock_.NowUnixMillis()) && !announce &&
        !record.outcome_owed && record.status != BookingStatus::kWaitlisted) {
      if (Status s = OweOutcome(record, stop); !s.ok()) return s;
      continue;
    }
    if (record.status == BookingStatus::kWaitlisted) {
      // No lease while waiting: every move out of WAITLISTED follows what
      // Redis decided atomically (handed a unit, left, turned away), so two
      // drivers can only agree, and the ledger's compare-and-set keeps one.
      auto moved = StepWaitlisted(record, /*owes=*/!announce, stop);
      if (!moved.ok()) return moved.status();
      if (*moved) continue;
      if (announce || joined_waitlist) {
        waitlisted_->Increment();
        if (Status s = PublishOutcome(record, SagaVerdict::kWaiting, trace_id, stop); !s.ok()) {
          return s;
        }
      }
      return SagaResult{SagaVerdict::kWaiting, record.status};
    }
    if (record.lease.HeldByAnother(driver, clock_.NowUnixMillis())) {
      // kOneDriver: someone else is driving it. Wait for it to finish or for
      // its lease to lapse (the reconciler does not wait: it comes back).
      if (!wait_for_owner) return SagaResult{SagaVerdict::kOwnedElsewhere, record.status};
      if (!clock_.SleepUnlessStopped(waiting.Next(), stop))
        return Interrupted(record.request.booking_id);
      if (Status s = Reload(record, stop); !s.ok()) return s;
      continue;
    }
    auto may_act = KeepLease(record, driver, stop);
    if (!may_act.ok()) return may_act.status();
    if (!*may_act) continue;  // the record changed: look again
    // What a guest may see while the bank answers (a charge, a void): the
    // other steps take a Redis call, too short to show.
    const PaymentStatus p = record.payment_status;
    const bool calls_the_bank = p == PaymentStatus::kNotAttempted || p == PaymentStatus::kPending ||
                                p == PaymentStatus::kUnknown;
    if (calls_the_bank && record.version > shown_version) {
      ShowProgress(record);
      shown_version = record.version;
    }
    if (Status s = Step(record, driver, stop); !s.ok()) {
      if (stop.load()) HandBackLease(record, driver);
      return s;
    }
    joined_waitlist = record.status == BookingStatus::kWaitlisted;
  }
  if (Status s = PublishOutcome(record, SagaVerdict::kTerminal, trace_id, stop); !s.ok()) return s;
  CountOutcome(record.status);
  if (record.outcome_owed) PaidOutcome(record);
  return SagaResult{SagaVerdict::kTerminal, record.status};
}

Status BookingSaga::Step(BookingRecord& record, const std::string& driver,
                         const std::atomic<bool>& stop) {
  // No record is ever PENDING: admission records the reserve's answer with
  // the booking (AdmittedRecord), and Park records PARKED.
  WL_CHECK(record.status == BookingStatus::kReserved, "kStateMachine: only RESERVED is driven");
  switch (record.payment_status) {
    case PaymentStatus::kNotAttempted:
    case PaymentStatus::kPending:
      return Charge(record, driver, stop);
    case PaymentStatus::kCaptured:
      return ConfirmSale(record, stop);
    case PaymentStatus::kUnknown:
      return VoidCharge(record, driver, stop);
    case PaymentStatus::kDeclined:
    case PaymentStatus::kVoided:
      return ReleaseHold(record, stop);
  }
  return Status::Internal("unreachable payment status");
}

// Charges by key until the bank answers or the payment deadline passes, then
// records the decision: CAPTURED, DECLINED, or UNKNOWN (void it).
Status BookingSaga::Charge(BookingRecord& record, const std::string& driver,
                           const std::atomic<bool>& stop) {
  const BookingRequest& r = record.request;
  const auto deadline = clock_.SteadyNow() + options_.payment_deadline;
  Backoff backoff(options_.retry);
  while (true) {
    auto may_act = KeepLease(record, driver, stop);
    if (!may_act.ok()) return may_act.status();
    if (!*may_act) return Status::Ok();  // the record changed: Drive looks again
    const auto start = clock_.SteadyNow();
    ChargeResult charge = bank_.Charge(r.booking_id, r.amount, options_.bank_call_timeout);
    bank_latency_->Observe(std::chrono::duration<double>(clock_.SteadyNow() - start).count());
    if (charge.outcome == ChargeOutcome::kCaptured) {
      return Decide(record, BookingStatus::kReserved, PaymentStatus::kCaptured,
                    charge.transaction_id, "CHARGE_CAPTURED", "charge " + charge.transaction_id,
                    stop);
    }
    if (charge.outcome == ChargeOutcome::kDeclined) {
      return Decide(
          record, BookingStatus::kReserved, PaymentStatus::kDeclined, "", "CHARGE_DECLINED",
          "declined by the bank" + (charge.detail.empty() ? "" : ": " + charge.detail), stop);
    }
    metrics_.GetCounter("saga_retries_total", "retried saga steps", "step=\"charge\"")->Increment();
    if (clock_.SteadyNow() >= deadline) {
      // kNoReleaseWhileChargeMayLand: decide to void; from here no driver
      // charges or confirms this booking again.
      spdlog::warn("payment deadline passed for {} ({}); voiding", r.booking_id, charge.detail);
      return Decide(record, BookingStatus::kReserved, PaymentStatus::kUnknown, "", "VOIDING",
                    "no answer from the bank by the payment deadline (" + charge.detail +
                        "); voiding the charge",
                    stop);
    }
    spdlog::warn("charge for {} unanswered ({}); retrying the same key", r.booking_id,
                 charge.detail);
    if (!clock_.SleepUnlessStopped(backoff.Next(), stop)) return Interrupted(r.booking_id);
  }
}

Status BookingSaga::ConfirmSale(BookingRecord& record, const std::atomic<bool>& stop) {
  const BookingRequest& r = record.request;
  auto confirmed = Retry(
      "confirm", [&] { return inventory_.Confirm(r.property_id, r.booking_id); }, stop);
  if (confirmed.ok()) {
    Status s = Decide(record, BookingStatus::kConfirmed, PaymentStatus::kCaptured, "", "CONFIRMED",
                      "charge " + record.transaction_id, stop);
    // The last unit is sold: those still waiting are told SOLD_OUT once
    // this sale's own outcome is out.
    QueueTurnAway(std::move(confirmed->turned_away));
    return s;
  }
  if (confirmed.status().code() != StatusCode::kFailedPrecondition) return confirmed.status();
  // kNoOversell: money was taken but the hold is gone; refund rather than
  // sell a unit nobody holds.
  spdlog::error("booking {} captured but holds no unit: {}; refunding", r.booking_id,
                confirmed.status().ToString());
  return Decide(record, BookingStatus::kReserved, PaymentStatus::kUnknown, "", "VOIDING",
                "captured without a hold; refunding", stop);
}

Status BookingSaga::VoidCharge(BookingRecord& record, const std::string& driver,
                               const std::atomic<bool>& stop) {
  const BookingRequest& r = record.request;
  Backoff backoff(options_.retry);
  int hard_failures = 0;
  while (true) {
    // A void is sent only while the ledger, read just now, still decides it
    // and names this driver: never for a booking another driver confirmed.
    const int64_t version = record.version;
    if (Status s = Reload(record, stop); !s.ok()) return s;
    if (record.version != version) return Status::Ok();  // it moved: Drive looks again
    auto may_act = KeepLease(record, driver, stop);
    if (!may_act.ok()) return may_act.status();
    if (!*may_act) return Status::Ok();
    WL_CHECK(record.payment_status == PaymentStatus::kUnknown, "kDecideThenAct: void decided");
    auto voided = bank_.Void(r.booking_id, options_.bank_call_timeout);
    if (voided.ok() && *voided == ChargeState::kCaptured) return KeepSettledCharge(record, stop);
    if (voided.ok()) {
      const bool declined = *voided == ChargeState::kDeclined;
      return Decide(record, BookingStatus::kReserved,
                    declined ? PaymentStatus::kDeclined : PaymentStatus::kVoided, "",
                    declined ? "CHARGE_DECLINED" : "VOIDED",
                    declined ? "the bank had declined the charge" : "charge voided by key", stop);
    }
    if (!voided.status().IsTransient() && ++hard_failures >= options_.max_attempts) {
      return voided.status();
    }
    metrics_.GetCounter("saga_retries_total", "retried saga steps", "step=\"void\"")->Increment();
    spdlog::warn("void for {} failed: {}; retrying", r.booking_id, voided.status().ToString());
    if (!clock_.SleepUnlessStopped(backoff.Next(), stop)) return Interrupted(r.booking_id);
  }
}

Status BookingSaga::KeepSettledCharge(BookingRecord& record, const std::atomic<bool>& stop) {
  const std::string& id = record.request.booking_id;
  // A capture refunded because it holds no unit has a transaction id; a
  // refund the bank refuses leaves a paid booking without a room, which only
  // an operator can settle: an error retrying cannot fix parks it, loudly.
  if (!record.transaction_id.empty()) {
    return Status::FailedPrecondition("booking " + id + ": the bank refused to void charge " +
                                      record.transaction_id +
                                      " (settled) and it holds no unit: refund it by hand");
  }
  spdlog::warn("booking {}: the bank refused the void (the charge settled); the sale goes on", id);
  // kNoReleaseWhileChargeMayLand kept the hold: the sale goes on (ConfirmSale).
  return Decide(record, BookingStatus::kReserved, PaymentStatus::kCaptured, kSettledTransaction,
                "VOID_REFUSED", "the bank refused the void: the charge settled", stop);
}

Status BookingSaga::ReleaseHold(BookingRecord& record, const std::atomic<bool>& stop) {
  const BookingRequest& r = record.request;
  // Never gives up on a transient failure: a failed release is a leaked room.
  // Only shutdown stops it, and then the event is redelivered.
  auto released = Retry(
      "release", [&] { return inventory_.Release(r.property_id, r.booking_id); }, stop);
  if (!released.ok()) return released.status();
  if (released->released) compensations_->Increment();
  const PaymentStatus payment = record.payment_status;
  const std::string handed = released->handed_to.empty()
                                 ? "hold released"
                                 : "its unit handed to " + released->handed_to + " (waitlist)";
  Status s = Decide(
      record, BookingStatus::kFailedPayment, payment, "", "FAILED_PAYMENT",
      (payment == PaymentStatus::kDeclined ? "declined by the bank; " : "charge voided; ") + handed,
      stop);
  // kNoUnitIdleWhileWaiting: the unit went to the head of the waitlist; that
  // booking pays next. Should this driver stop first, the reconciler finds
  // the waiter holding a unit and goes on.
  if (!released->handed_to.empty()) QueueHandOvers({released->handed_to});
  return s;
}

Result<bool> BookingSaga::StepWaitlisted(BookingRecord& record, bool owes,
                                         const std::atomic<bool>& stop) {
  const BookingRequest& r = record.request;
  auto state = Retry(
      "waitlist",
      [&] {
        return inventory_.CheckWaitlist(r.property_id, r.booking_id, options_.waitlist_timeout);
      },
      stop);
  if (!state.ok()) return state.status();
  std::string sold_out_why;
  switch (*state) {
    case WaitlistState::kWaiting:
      return false;
    case WaitlistState::kHeld:
    case WaitlistState::kSold: {  // a crash after confirm; the bank answers the same
      // RESERVED is not an end: the drive owes (OweOutcome) before its first step.
      Status s =
          Decide(record, BookingStatus::kReserved, PaymentStatus::kPending, "", "RESERVED",
                 "a unit of " + r.property_id + " came back; handed over from the waitlist", stop);
      if (!s.ok()) return s;
      // kNoLeak: another driver ended the booking first, from a read of Redis
      // before this unit was held in its name (a reused bookingId's late
      // reserve); the unit is nobody's.
      if (*state == WaitlistState::kHeld && GivesUnitBack(record)) {
        if (Status g = GiveBack(r.property_id, r.booking_id, stop); !g.ok()) return g;
      }
      return true;
    }
    case WaitlistState::kLeft:
      sold_out_why = "waited saga.waitlist_timeout_ms (" +
                     std::to_string(options_.waitlist_timeout.count()) +
                     " ms) on the waitlist; no unit came back";
      break;
    case WaitlistState::kGone:
      sold_out_why = TurnedAwayWhy(r.property_id);
      break;
  }
  LedgerChange end = DecisionTo(record, BookingStatus::kSoldOut, PaymentStatus::kNotAttempted, "",
                                "SOLD_OUT", sold_out_why);
  // kOutcomeOwed with the end itself: a driver dying after this claim
  // leaves a terminal booking the reconciler finds owing.
  if (owes) end.outcome_owed = true;
  if (Status s = CommitDecision(record, end, stop); !s.ok()) return s;
  return true;
}

Status BookingSaga::TakeLease(BookingRecord& record, const std::string& driver,
                              const std::atomic<bool>& stop) {
  const bool renewal = record.lease.owner == driver;
  Lease lease{driver, renewal ? record.lease.token : record.lease.token + 1,
              clock_.NowUnixMillis() + options_.lease.count()};
  std::optional<LedgerEntry> entry;
  if (!renewal) {
    takeovers_->Increment();
    entry = LedgerEntry{"DRIVER", clock_.NowIso8601(),
                        record.lease.owner.empty() ? "driven by " + driver
                                                   : "taken over by " + driver + " from " +
                                                         record.lease.owner + " (lease lapsed)"};
    spdlog::info("booking {}: driver {} takes it over (token {})", record.request.booking_id,
                 driver, lease.token);
  }
  LedgerChange change{record.status, record.payment_status, "", entry, lease, clock_.NowIso8601()};
  return CommitDecision(record, change, stop);
}

Result<bool> BookingSaga::KeepLease(BookingRecord& record, const std::string& driver,
                                    const std::atomic<bool>& stop) {
  if (record.lease.HeldBy(driver, clock_.NowUnixMillis() + options_.lease_margin.count()))
    return true;
  const int64_t version = record.version;
  if (Status s = TakeLease(record, driver, stop); !s.ok()) return s;
  // Ours now only if our own transition is what moved the record.
  return record.version == version + 1 && record.lease.owner == driver;
}

namespace {

// Marks kOutcomeOwed and nothing else. updated_at stays: owing an outcome
// does not make a stuck booking look fresh.
LedgerChange OweOutcomeChange(const BookingRecord& record) {
  LedgerChange change{record.status, record.payment_status, "",
                      std::nullopt,  std::nullopt,          record.updated_at};
  change.outcome_owed = true;
  return change;
}

}  // namespace

Status BookingSaga::OweOutcome(BookingRecord& record, const std::atomic<bool>& stop) {
  return CommitDecision(record, OweOutcomeChange(record), stop);
}

void BookingSaga::PaidOutcome(BookingRecord& record) {
  // One attempt: should it fail, the reconciler finds the booking owing and
  // publishes the same outcome again (same eventId: same version).
  Status s = ledger_.MarkOutcomePublished(record.request.booking_id, record.version);
  if (s.ok()) {
    record.outcome_owed = false;
  } else {
    spdlog::info(
        "booking {}: outcome published, not yet marked so ({}); the reconciler "
        "publishes it again",
        record.request.booking_id, s.ToString());
  }
}

void BookingSaga::HandBackAdmitted(BookingRecord record, const std::string& driver) {
  HandBackLease(record, driver);
}

void BookingSaga::HandBackLease(BookingRecord& record, const std::string& driver) {
  if (record.lease.owner != driver || IsTerminal(record.status)) return;
  // updated_at stays: handing back does not make a stuck booking look fresh.
  LedgerChange change{
      record.status,    record.payment_status, "", std::nullopt, Lease{"", record.lease.token, 0},
      record.updated_at};
  Status s = ledger_.Transition(record.request.booking_id, record.status, record.version, change);
  if (s.ok()) {
    ApplyChange(record, change);
  } else {
    spdlog::info("booking {}: lease not handed back ({}); it lapses by itself",
                 record.request.booking_id, s.ToString());
  }
}

Status BookingSaga::Decide(BookingRecord& record, BookingStatus to, PaymentStatus payment,
                           const std::string& transaction_id, const std::string& action,
                           const std::string& detail, const std::atomic<bool>& stop) {
  return CommitDecision(record, DecisionTo(record, to, payment, transaction_id, action, detail),
                        stop);
}

LedgerChange BookingSaga::DecisionTo(const BookingRecord& record, BookingStatus to,
                                     PaymentStatus payment, const std::string& transaction_id,
                                     const std::string& action, const std::string& detail) const {
  const std::string now = clock_.NowIso8601();
  // Every transition renews the mover's lease (kOneDriver); a terminal
  // booking needs none.
  std::optional<Lease> lease;
  if (IsTerminal(to)) {
    lease = Lease{};
  } else if (to == BookingStatus::kWaitlisted) {
    lease = Lease{"", record.lease.token, 0};  // nobody drives a waiting booking
  } else if (!record.lease.owner.empty()) {
    lease = Lease{record.lease.owner, record.lease.token,
                  clock_.NowUnixMillis() + options_.lease.count()};
  }
  return LedgerChange{to, payment, transaction_id, LedgerEntry{action, now, detail}, lease, now};
}

Status BookingSaga::CommitDecision(BookingRecord& record, const LedgerChange& change,
                                   const std::atomic<bool>& stop) {
  WL_CHECK(IsAllowedTransition(record.status, change.to), "kStateMachine");
  WL_CHECK(IsAllowedPaymentChange(record.payment_status, change.payment_status),
           "kPaymentDecisions");
  const std::string& id = record.request.booking_id;
  Status s = Retry(
      "ledger", [&] { return ledger_.Transition(id, record.status, record.version, change); },
      stop);
  if (s.ok()) {
    ApplyChange(record, change);
    return Status::Ok();
  }
  if (s.code() != StatusCode::kFailedPrecondition) return s;
  // Lost the compare-and-set: someone else moved it. Go on from their state.
  return Reload(record, stop, /*lost_claim=*/true);
}

Status BookingSaga::Reload(BookingRecord& record, const std::atomic<bool>& stop, bool lost_claim) {
  const std::string id = record.request.booking_id;
  auto fresh = Retry(
      "get",
      [&]() -> Result<std::optional<BookingRecord>> {
        auto got = ledger_.Get(id);
        // After a lost claim the booking is past `record` (kReadsClaims): a
        // read not past it is a ledger behind its own claims, waited out.
        if (got.ok() && got->has_value() && lost_claim && (*got)->version <= record.version) {
          return Status::Unavailable("booking " + id + ": another driver won version " +
                                     std::to_string(record.version) +
                                     " and the ledger does not show it yet");
        }
        return got;
      },
      stop);
  if (!fresh.ok()) return fresh.status();
  if (!fresh->has_value()) return Status::Internal("booking " + id + " vanished from the ledger");
  // kNeverBackwards: what this driver holds came from a claim it won or a
  // read, so the booking is at least there. An older read is a ledger behind
  // its own claims (kReadsClaims broken: a document whose write-down
  // failed), never a move by someone else, and acting on it could repeat an
  // undone step. The next compare-and-set from here loses to any claim past
  // it.
  if ((*fresh)->version < record.version) {
    spdlog::warn(
        "booking {}: the ledger's document is at version {}, behind claim {}; going on "
        "from the claim",
        id, (*fresh)->version, record.version);
    return Status::Ok();
  }
  record = std::move(**fresh);
  return Status::Ok();
}

Status BookingSaga::Park(const BookingEvent& event, const std::string& why,
                         const std::atomic<bool>& stop) {
  Status s = ParkOnce(event, why, stop);
  DriveHandedOver(stop);
  return s;
}

Status BookingSaga::ParkOnce(const BookingEvent& event, const std::string& why,
                             const std::atomic<bool>& stop) {
  const BookingRequest& request = event.request;
  const std::string& id = request.booking_id;
  auto found = RetryBounded(
      "park: read the ledger", [&] { return ledger_.Get(id); }, stop);
  if (!found.ok()) return found.status();
  if (found->has_value() && (*found)->fingerprint != request.Fingerprint()) {
    // The bookingId is another request's: this event's failure is its own,
    // never the booking's, which its own driver goes on with. Its sender is
    // told REJECTED, as Reject would have.
    BookingRecord answer = **found;
    answer.request = request;
    if (Status s = PublishOutcome(answer, SagaVerdict::kRejected, event.metadata.trace_id, stop);
        !s.ok()) {
      return s;
    }
    return Status::FailedPrecondition("booking " + id +
                                      " is another request's (reused bookingId); not parked");
  }
  auto release = [&]() -> Status {
    auto left = RetryBounded(
        "park: leave the waitlist",
        [&] {
          return inventory_.CheckWaitlist(request.property_id, id, std::chrono::milliseconds(0));
        },
        stop);
    if (!left.ok()) return left.status();
    return GiveBack(request.property_id, id, stop, /*bounded=*/true);
  };
  const std::string now = clock_.NowIso8601();
  const LedgerEntry entry{
      "PARKED", now,
      "given up after " + std::to_string(options_.max_attempts) + " attempts: " + why};
  // kDecideThenAct: PARKED is recorded before the hold goes back. A driver
  // that moved the booking meanwhile (a unit handed over from the waitlist,
  // a batch's insert) wins the compare-and-set, and its hold stays its own.
  BookingRecord record;
  if (!found->has_value()) {
    record.request = request;
    record.client_id = event.metadata.client_id;
    record.fingerprint = request.Fingerprint();
    record.status = BookingStatus::kParked;
    record.payment_status = PaymentStatus::kNotAttempted;
    record.created_at = record.updated_at = now;
    record.audit_log = {entry};
    Status inserted = RetryBounded(
        "park: record", [&] { return ledger_.Insert(record); }, stop);
    if (inserted.code() == StatusCode::kAlreadyExists) {
      if (Status s = ParkedMeanwhile(record, stop); !s.ok()) {
        return s.code() == StatusCode::kFailedPrecondition
                   ? Status::FailedPrecondition("booking " + id +
                                                " was recorded meanwhile; not parked")
                   : s;
      }
    } else if (!inserted.ok()) {
      return inserted;
    }
  } else {
    record = std::move(**found);
    // Ended meanwhile: its event is about to be dead-lettered, so this is
    // the last chance to give back a hold this event's run took after the
    // booking ended (kNoLeak) and to tell its guest (kNoLostAcceptance).
    if (IsTerminal(record.status)) {
      if (record.status != BookingStatus::kConfirmed) {
        if (Status s = GiveBackStray(request, record.request.property_id, stop); !s.ok()) return s;
      }
      return PublishOutcome(record, SagaVerdict::kTerminal, "", stop);
    }
    // kNoReleaseWhileChargeMayLand: only a booking no charge can land for.
    const bool charge_settled = record.status == BookingStatus::kWaitlisted ||
                                record.payment_status == PaymentStatus::kDeclined ||
                                record.payment_status == PaymentStatus::kVoided;
    if (!charge_settled) {
      return Status::FailedPrecondition("booking " + id + " is RESERVED with payment " +
                                        std::string(PaymentStatusName(record.payment_status)) +
                                        "; left to the reconciler");
    }
    LedgerChange change{BookingStatus::kParked, record.payment_status, "", entry, Lease{}, now};
    Status moved = RetryBounded(
        "park: record",
        [&] { return ledger_.Transition(id, record.status, record.version, change); }, stop);
    if (moved.code() == StatusCode::kFailedPrecondition) {
      if (Status s = ParkedMeanwhile(record, stop); !s.ok()) {
        return s.code() == StatusCode::kFailedPrecondition
                   ? Status::FailedPrecondition("booking " + id + " moved meanwhile; not parked")
                   : s;
      }
    } else if (!moved.ok()) {
      return moved;
    } else {
      ApplyChange(record, change);
    }
  }
  // A hold left by a failure here belongs to a finished booking: verify I2
  // names it and reconcile --fix gives it back.
  if (Status s = release(); !s.ok()) return s;
  parked_->Increment();
  spdlog::error("booking {} parked: {}", id, why);
  return PublishOutcome(record, SagaVerdict::kTerminal, "", stop);
}

Status BookingSaga::ParkedMeanwhile(BookingRecord& record, const std::atomic<bool>& stop) {
  // A retried write whose first answer was lost finds its own change there:
  // PARKED read back is PARKED decided, whoever recorded it, and the hold
  // goes back all the same (a release is idempotent per booking).
  const std::string& id = record.request.booking_id;
  auto found = RetryBounded(
      "park: read the ledger", [&] { return ledger_.Get(id); }, stop);
  if (!found.ok()) return found.status();
  if (!found->has_value() || (*found)->status != BookingStatus::kParked) {
    return Status::FailedPrecondition("booking " + id + " moved meanwhile");
  }
  record = std::move(**found);
  return Status::Ok();
}

OutgoingEvent BookingSaga::OutcomeMessage(const BookingRecord& record, SagaVerdict verdict,
                                          const std::string& trace_id) const {
  const BookingStatus status =
      verdict == SagaVerdict::kRejected ? BookingStatus::kRejected : record.status;
  // One state, one id: every copy of an outcome (redelivery, batch, second
  // driver, reconciler) names the same booking, status and ledger version.
  const std::string event_id =
      NameBasedUuid("booking-outcome\n" + record.request.booking_id + "\n" +
                    std::string(BookingStatusName(status)) + "\n" + std::to_string(record.version));
  OutcomeEvent outcome{event_id,
                       clock_.NowIso8601(),
                       record.request.booking_id,
                       record.request.property_id,
                       status,
                       record.transaction_id,
                       verdict == SagaVerdict::kRejected
                           ? "bookingId already used with a different payload"
                           : (record.audit_log.empty() ? "" : record.audit_log.back().detail),
                       trace_id,
                       record.status == BookingStatus::kWaitlisted ? record.waitlist_position : 0};
  return {options_.outcomes_topic, record.request.booking_id, EncodeOutcomeEvent(outcome), {}};
}

void BookingSaga::PublishOutcomeAsync(OutgoingEvent event, PublishCallback done) {
  producer_.PublishAsync(std::move(event), std::move(done));
}

Status BookingSaga::ShowStatuses(const std::vector<BookingRecord>& records,
                                 const std::atomic<bool>& stop) {
  if (options_.status_views == nullptr || records.empty()) return Status::Ok();
  std::vector<StatusView> views;
  views.reserve(records.size());
  for (const BookingRecord& record : records) views.push_back(StatusViewOf(record));
  return Retry(
      "status view", [&] { return options_.status_views->PutMany(views); }, stop);
}

void BookingSaga::ShowProgress(const BookingRecord& record) {
  if (options_.status_views == nullptr) return;
  if (Status s = options_.status_views->Put(StatusViewOf(record)); !s.ok()) {
    view_failures_->Increment();
    spdlog::warn("booking {}: status view of version {} not stored ({}); its outcome's is",
                 record.request.booking_id, record.version, s.ToString());
  }
}

Status BookingSaga::PublishOutcome(const BookingRecord& record, SagaVerdict verdict,
                                   const std::string& trace_id, const std::atomic<bool>& stop) {
  // A REJECTED answer is about an event, not the booking: its view stays.
  if (verdict != SagaVerdict::kRejected) {
    if (Status s = ShowStatuses({record}, stop); !s.ok()) return s;
  }
  const OutgoingEvent event = OutcomeMessage(record, verdict, trace_id);
  return Retry(
      "outcome",
      [&] {
        Status s = producer_.Publish(event, options_.outcome_publish_timeout);
        // A topic the client has no metadata for is an outage to wait out,
        // not a verdict on the booking: the outcome is published once it is.
        if (s.code() == StatusCode::kNotFound) return Status::Unavailable(s.message());
        return s;
      },
      stop);
}

}  // namespace wanderluxe
