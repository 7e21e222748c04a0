// The booking saga (docs/contract.md "The saga"), orchestrated, its state in the ledger:
//
//   (not recorded) --reserve, insert--> RESERVED --charge--> CAPTURED --confirm--> CONFIRMED
//      \--sold out--> SOLD_OUT        \--declined / unknown, voided--> (release) FAILED_PAYMENT
//
// Every step is idempotent per bookingId, so a redelivered event, a second
// worker holding the same booking, or the reconciler resumes where the ledger
// says the booking is.
//
// kOneDriver: at most one driver advances a booking at a time. A driver holds
// the booking's lease (in the ledger, renewed by its own transitions) and
// acts outside the ledger (charge, void, confirm, release) only with at least
// `lease_margin` of it left; a driver whose lease lapsed finds its next
// transition refused (its version is stale) and stops.
// kDecideThenAct: every external step but the charge follows a payment
// decision the ledger already holds (kPaymentDecisions in booking.h), and a
// decision is never taken back. So even a driver paused past its lease,
// acting late, repeats only what the ledger decided: no void after a
// capture was decided, no confirm after a void was, no release after either.
// Invariants kept here:
//   kNoOversell: a unit is sold only after a captured charge, from a hold.
//   kNoLeak: a hold is released exactly when the booking fails payment or is parked.
//   kNoReleaseWhileChargeMayLand: an ambiguous charge is voided first.
//
// Thread safety: one BookingSaga may drive any number of bookings from any
// number of threads at once. Its only state is the queue of waiters handed
// a unit and not yet driven, and who lends drivers for it (behind
// handed_over_mu_, never held across a port call or the lender); a
// booking's state lives in the ledger.
#ifndef WANDERLUXE_BOOKING_SAGA_H_
#define WANDERLUXE_BOOKING_SAGA_H_

#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <optional>
#include <string>

#include "wanderluxe/booking_event.h"
#include "wanderluxe/config.h"
#include "wanderluxe/metrics.h"
#include "wanderluxe/mutex.h"
#include "wanderluxe/ports/bank.h"
#include "wanderluxe/ports/clock.h"
#include "wanderluxe/ports/event_producer.h"
#include "wanderluxe/ports/inventory_store.h"
#include "wanderluxe/ports/ledger.h"
#include "wanderluxe/ports/status_views.h"
#include "wanderluxe/retry_policy.h"

namespace wanderluxe {

struct SagaOptions {
  RetryPolicy retry;
  std::chrono::milliseconds payment_deadline;
  std::chrono::milliseconds bank_call_timeout;
  // How long a driver owns a booking after its last transition.
  std::chrono::milliseconds lease;
  // Lease left before any external step: one bank call plus clock skew.
  std::chrono::milliseconds lease_margin;
  // Attempts at a step failing with an error retrying cannot fix (kInternal)
  // before the booking is given up and parked. Transient errors retry forever.
  int max_attempts;
  std::string outcomes_topic;
  // How long an outcome publish waits for Kafka's verdict: librdkafka fails
  // the message itself after kafka.delivery_timeout_ms; the wait is a little
  // longer, so that verdict, not the wait, is what ends it.
  std::chrono::milliseconds outcome_publish_timeout;
  // Names this process in lease holders ("host:pid:nonce"): unique among
  // every process that ever drives, the nonce against a reused pid.
  std::string driver_prefix;
  // How long a WAITLISTED booking waits for a unit before it ends SOLD_OUT.
  std::chrono::milliseconds waitlist_timeout{0};
  // Every time the saga reads or waits out (leases, deadlines, backoffs,
  // timestamps); not owned.
  Clock* clock = &SystemClock();
  // The status views GET answers from (DESIGN.md "The status view"); not
  // owned. Null: none kept (tools and tests that never serve GET).
  StatusViews* status_views = nullptr;

  static SagaOptions From(const Config& config);
};

// What became of one event. kRejected: the bookingId exists with another
// payload. kOwnedElsewhere: another live driver holds the booking (DriveRecord only).
// kWaiting: the booking is WAITLISTED; the release that hands it a unit, the
// sale that turns the waitlist away, or the reconciler at its timeout goes on.
enum class SagaVerdict { kTerminal, kRejected, kOwnedElsewhere, kWaiting };

struct SagaResult {
  SagaVerdict verdict = SagaVerdict::kTerminal;
  BookingStatus status = BookingStatus::kPending;  // the booking's status at the end
};

class BookingSaga {
 public:
  BookingSaga(SagaOptions options, InventoryStore& inventory, Ledger& ledger, Bank& bank,
              EventProducer& producer, MetricsRegistry& metrics);

  // Drives the event's booking to a terminal state (or onto the waitlist:
  // kWaiting, announced with a WAITLISTED outcome), waiting while another
  // live driver holds it. Transient failures are retried without end; only
  // `stop` interrupts (kUnavailable "interrupted"), and then the event must be
  // redelivered, not marked done. Other failures (kInternal) come back after
  // `max_attempts`: the caller parks the booking (Park) and dead-letters it.
  Result<SagaResult> DriveEvent(const BookingEvent& event, const std::atomic<bool>& stop);

  // Drives a booking on from the ledger's state (the reconciler); answers
  // kOwnedElsewhere at once when another live driver holds it.
  Result<SagaResult> DriveRecord(const BookingRecord& record, const std::atomic<bool>& stop);

  // Gives a booking up after a failure retrying cannot fix: releases its hold
  // and records PARKED, in a bounded number of attempts. Refuses
  // (kFailedPrecondition) a booking whose charge may have landed: that one
  // stays with the reconciler. Racing a live driver is safe: both only
  // release the hold and end the booking, and one transition wins. A record
  // it makes carries the event's client, so its owner can still read it.
  Status Park(const BookingEvent& event, const std::string& why, const std::atomic<bool>& stop);

  // For the processor's batches (BatchAdmission), which take Admit's steps
  // for many bookings at once and then hand each one back here:
  //
  // A fresh driver name, for a booking's lease.
  std::string NewDriver() const;
  // The record Admit inserts for `event` after its reserve answered
  // `reserved`: SOLD_OUT, or RESERVED with `driver` holding the lease.
  BookingRecord AdmittedRecord(const BookingEvent& event, const Reservation& reserved,
                               const std::string& driver) const;
  // After an insert of the booking lost to `winner` (its record already in
  // the ledger): kNoLeak, gives back the unit our reserve took unless the
  // winner holds it (Admit's rule); a fresh unit for a waiting winner is
  // settled at once, as a hand-over (the waiter takes it or gives it back).
  Status SettleLostInsert(const BookingRequest& request, const Reservation& reserved,
                          const BookingRecord& winner, const std::atomic<bool>& stop);
  // Drives a record `driver` just inserted holding its lease, as DriveEvent
  // would have after Admit.
  Result<SagaResult> DriveAdmitted(BookingRecord record, const std::string& driver,
                                   const std::string& trace_id, const std::atomic<bool>& stop);
  // A record `driver` just inserted holding its lease whose event will not
  // be driven here (its partition was revoked before the hand-over): one
  // attempt to give the lease back, so that its next driver need not wait
  // for it to lapse. A record moved since is left as it is.
  void HandBackAdmitted(BookingRecord record, const std::string& driver);

  // Drivers lent for the handed-over queue. Several bookings queued at once
  // (the waiters of a turned-away waitlist its batch could not end) would be
  // driven one after another by the call that queued them; the processor
  // lends idle workers instead. `lend(waiting)` is called, outside every
  // lock, by a call that just queued `waiting` > 1 bookings; each thread it
  // lends calls DriveHandedOver. Without a lender the queuing call drives
  // them all, as it always finishes what is left. Call before the first
  // drive; LendDrivers({}) takes the lender back.
  void LendDrivers(std::function<void(size_t waiting)> lend) EXCLUDES(handed_over_mu_);
  // Ends the turned-away waitlists queued (TurnAway) and drives the bookings
  // in the handed-over queue until none is left (or `stop`); any number of
  // threads may share the queues. A booking left by `stop` is the
  // reconciler's.
  void DriveHandedOver(const std::atomic<bool>& stop) EXCLUDES(handed_over_mu_);
  // The outcome event of a terminal record, ready to publish.
  OutgoingEvent OutcomeMessage(const BookingRecord& record, SagaVerdict verdict,
                               const std::string& trace_id) const;
  // Produces an OutcomeMessage without waiting; `done` gets its fate
  // (EventProducer::PublishAsync).
  void PublishOutcomeAsync(OutgoingEvent event, PublishCallback done);
  // kViewBeforeOutcome: stores the status views of `records` (when views
  // are kept), retried like a step; call before publishing their outcomes,
  // so a guest woken by an outcome reads a view at least as new.
  Status ShowStatuses(const std::vector<BookingRecord>& records, const std::atomic<bool>& stop);
  // Counts a terminal outcome published outside Drive (saga_outcomes_total).
  // The counter is at least once per booking: a redelivered event of a
  // finished booking, or a second driver that finds it finished, counts again.
  void CountOutcome(BookingStatus status);

  InventoryStore& inventory() { return inventory_; }
  Ledger& ledger() { return ledger_; }
  const SagaOptions& options() const { return options_; }

 private:
  struct Payment {
    PaymentStatus status;
    std::string transaction_id;
  };

  // True when the booking holds no unit for good or has decided to give its
  // unit back (ended without a sale; declined; voided): a unit it holds now
  // is not its to keep (kNoLeak).
  static bool GivesUnitBack(const BookingRecord& record);
  // `recorded_before`: the booking was in the ledger before this call.
  Result<BookingRecord> Admit(const BookingEvent& event, const std::string& driver,
                              const std::atomic<bool>& stop, bool& recorded_before);
  // Takes the event's booking off its property's waitlist and gives back
  // any unit it holds there: a booking recorded for `recorded_property`, or
  // ended, holds none.
  Status GiveBackStray(const BookingRequest& request, const std::string& recorded_property,
                       const std::atomic<bool>& stop);
  Result<SagaResult> Reject(BookingRecord record, const BookingEvent& event,
                            const std::atomic<bool>& stop);
  // `announce`: publish a WAITLISTED outcome when the booking stays waiting
  // (only for the event that put it on the waitlist).
  Result<SagaResult> Drive(BookingRecord record, const std::string& driver,
                           const std::string& trace_id, bool wait_for_owner, bool announce,
                           const std::atomic<bool>& stop);
  Status Step(BookingRecord& record, const std::string& driver, const std::atomic<bool>& stop);
  Status Charge(BookingRecord& record, const std::string& driver, const std::atomic<bool>& stop);
  Status ConfirmSale(BookingRecord& record, const std::atomic<bool>& stop);
  Status VoidCharge(BookingRecord& record, const std::string& driver,
                    const std::atomic<bool>& stop);
  Status ReleaseHold(BookingRecord& record, const std::atomic<bool>& stop);
  // The bank refused a void (the charge settled): the charge stands and the
  // sale goes on, unless the void was a refund of a capture holding no unit.
  Status KeepSettledCharge(BookingRecord& record, const std::atomic<bool>& stop);
  // WAITLISTED: moves the booking on when a unit was handed to it (RESERVED)
  // or it left or was turned away (SOLD_OUT); false when it still waits.
  // `owes`: no event of this drive is redelivered, so SOLD_OUT records
  // kOutcomeOwed with itself.
  Result<bool> StepWaitlisted(BookingRecord& record, bool owes, const std::atomic<bool>& stop);
  // Gives a hold back (Release); a unit handed to a waiting booking is
  // followed by driving that booking (QueueHandOver).
  Status GiveBack(const std::string& property_id, const std::string& booking_id,
                  const std::atomic<bool>& stop, bool bounded = false);
  // WAITLISTED bookings whose place in Redis just changed (handed a unit, or
  // turned away) are to be driven: queued in handed_over_. Every public call
  // that may hand a unit over ends with DriveHandedOver. A list of several
  // (a waitlist turned away) is read from the ledger in one GetRecorded
  // first, so each waiter's drive starts from its record.
  void QueueHandOvers(const std::vector<std::string>& booking_ids) EXCLUDES(handed_over_mu_);
  // Queues a waitlist the sale of a property's last unit turned away, for
  // DriveHandedOver (after the sale's own outcome).
  void QueueTurnAway(std::vector<std::string> booking_ids) EXCLUDES(handed_over_mu_);
  // The waitlist the last sale of a property turned away (Redis removed it
  // with the sale: each must end SOLD_OUT) ends together: one read, each
  // waiter's SOLD_OUT compare-and-set (owing, as StepWaitlisted's) in one
  // TransitionMany, their views, their outcomes published at once, their
  // debts cleared in one MarkOutcomesPublished. A waiter not ended here (not
  // read, not WAITLISTED, its compare-and-set lost or unanswered) is queued
  // for its own drive.
  void TurnAway(const std::vector<std::string>& booking_ids, const std::atomic<bool>& stop)
      EXCLUDES(handed_over_mu_);
  // The terminal outcomes of `ended` (records this caller just ended, owing),
  // their views first (kViewBeforeOutcome), published at once; one written
  // within the producer's bound is counted and its debt cleared with the
  // others'; any other is published again one by one, as a drive's is.
  void PublishEnded(std::vector<BookingRecord> ended, const std::atomic<bool>& stop);
  // Drives one handed-over booking, from `known` when it was read already.
  // One not yet in the ledger is left to its own admission, which checks
  // the waitlist after its insert.
  void DriveWaiter(const std::string& booking_id, std::optional<BookingRecord> known,
                   const std::atomic<bool>& stop);
  // DriveEvent and Park without driving the bookings they handed over.
  Result<SagaResult> DriveEventOnce(const BookingEvent& event, const std::atomic<bool>& stop);
  Status ParkOnce(const BookingEvent& event, const std::string& why, const std::atomic<bool>& stop);
  // Park's write lost (or its answer did): Ok, with `record` as read, when
  // the booking is PARKED now; kFailedPrecondition when another move won.
  Status ParkedMeanwhile(BookingRecord& record, const std::atomic<bool>& stop);
  Status SettleLost(const BookingRequest& request, const Reservation& reserved,
                    const BookingRecord& winner, const std::atomic<bool>& stop);

  // Takes or renews the lease. On a lost race the record is reloaded.
  Status TakeLease(BookingRecord& record, const std::string& driver, const std::atomic<bool>& stop);
  // kOutcomeOwed (ledger.h): records that this drive, which no event's
  // redelivery would repeat, owes the booking's terminal outcome.
  Status OweOutcome(BookingRecord& record, const std::atomic<bool>& stop);
  // After the terminal outcome is published: one attempt to mark it so
  // (Ledger::MarkOutcomePublished, no new version).
  void PaidOutcome(BookingRecord& record);
  // On shutdown: one attempt to give the lease back, so the next driver need
  // not wait for it to lapse.
  void HandBackLease(BookingRecord& record, const std::string& driver);
  // True when `driver` may take an external step now (renewing the lease if
  // it runs short); false when the record changed under it (reloaded).
  Result<bool> KeepLease(BookingRecord& record, const std::string& driver,
                         const std::atomic<bool>& stop);
  // Records a decision: one transition of the booking in the ledger. On a
  // lost compare-and-set reloads the record (another driver moved it), and
  // the caller goes on from the ledger's state.
  Status Decide(BookingRecord& record, BookingStatus to, PaymentStatus payment,
                const std::string& transaction_id, const std::string& action,
                const std::string& detail, const std::atomic<bool>& stop);
  // The change a decision to `to` commits: the entry, and the lease the
  // transition leaves.
  LedgerChange DecisionTo(const BookingRecord& record, BookingStatus to, PaymentStatus payment,
                          const std::string& transaction_id, const std::string& action,
                          const std::string& detail) const;
  // Commits `change` as the booking's next transition (Decide's second half).
  Status CommitDecision(BookingRecord& record, const LedgerChange& change,
                        const std::atomic<bool>& stop);
  // Reads the booking again; never moves `record` backwards (kNeverBackwards).
  // `lost_claim`: a transition from `record` just lost, so the booking is past it.
  Status Reload(BookingRecord& record, const std::atomic<bool>& stop, bool lost_claim = false);
  Status PublishOutcome(const BookingRecord& record, SagaVerdict verdict,
                        const std::string& trace_id, const std::atomic<bool>& stop);
  // The record's status view in one attempt, before a step: progress a
  // guest may see. A failure is counted and logged, never the drive's.
  void ShowProgress(const BookingRecord& record);
  // Retries `call` until OK or a logical error; transient errors without end,
  // others at most `max_attempts` times.
  template <typename Call>
  auto Retry(const char* step, Call call, const std::atomic<bool>& stop) -> decltype(call());
  // Retries every failure at most `max_attempts` times (Park).
  template <typename Call>
  auto RetryBounded(const char* step, Call call, const std::atomic<bool>& stop) -> decltype(call());

  const SagaOptions options_;
  Clock& clock_;
  InventoryStore& inventory_;
  Ledger& ledger_;
  Bank& bank_;
  EventProducer& producer_;
  MetricsRegistry& metrics_;
  Counter* compensations_;
  Counter* rejected_;
  Counter* takeovers_;
  Counter* parked_;
  Counter* waitlisted_;
  Counter* view_failures_;
  Histogram* bank_latency_;
  mutable std::atomic<uint64_t> drivers_{0};  // drivers named so far
  // Waiting bookings a release handed a unit to, or a sale turned away, not
  // yet driven (QueueHandOver): the saga call that hands them over drives them
  // before it returns, one after another, so a chain through a long
  // waitlist never deepens the stack.
  Mutex handed_over_mu_;
  // A booking to drive, and its record when QueueHandOvers read it.
  struct HandOver {
    std::string booking_id;
    std::optional<BookingRecord> record;
  };
  std::deque<HandOver> handed_over_ GUARDED_BY(handed_over_mu_);
  // Waitlists a sale turned away, each ended by one TurnAway; taken before
  // handed_over_, after the sale's own outcome is out.
  std::deque<std::vector<std::string>> turned_away_ GUARDED_BY(handed_over_mu_);
  std::function<void(size_t)> lend_drivers_ GUARDED_BY(handed_over_mu_);
};

}  // namespace wanderluxe

#endif  // WANDERLUXE_BOOKING_SAGA_H_
