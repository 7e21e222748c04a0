#include "wanderluxe/booking_saga.h"

#include <spdlog/spdlog.h>

#include "wanderluxe/ids.h"
#include "wanderluxe/outcome_event.h"

namespace wanderluxe {
namespace {

using Clock = std::chrono::steady_clock;

Status StatusOf(const Status& s) { return s; }
template <typename T>
Status StatusOf(const Result<T>& r) {
  return r.status();
}

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

}  // namespace

BookingSaga::BookingSaga(SagaOptions options, InventoryStore& inventory, Ledger& ledger,
                         Bank& bank, EventProducer& producer, MetricsRegistry& metrics)
    : options_(std::move(options)),
      inventory_(inventory),
      ledger_(ledger),
      bank_(bank),
      producer_(producer),
      metrics_(metrics),
      compensations_(metrics.GetCounter("saga_compensations_total",
                                        "holds released after a failed payment")),
      rejected_(metrics.GetCounter("saga_rejected_total",
                                   "events reusing a bookingId with a different payload")),
      bank_latency_(metrics.GetHistogram("bank_call_seconds", "latency of bank charge calls")) {}

template <typename Call>
auto BookingSaga::Retry(const char* step, Call call, const std::atomic<bool>& stop)
    -> decltype(call()) {
  Backoff backoff(options_.retry);
  while (true) {
    auto result = call();
    const Status s = StatusOf(result);
    if (s.ok() || IsLogical(s)) return result;
    metrics_.GetCounter("saga_retries_total", "retried saga steps", std::string("step=\"") + step + "\"")
        ->Increment();
    const auto delay = backoff.Next();
    spdlog::warn("saga step {} failed (attempt {}): {}; retrying in {} ms", step,
                 backoff.attempts(), s.ToString(), delay.count());
    if (!SleepUnlessStopped(delay, stop)) return result;
  }
}

Result<SagaResult> BookingSaga::Process(const BookingEvent& event, const std::atomic<bool>& stop) {
  auto record = Admit(event, stop);
  if (!record.ok()) return record.status();
  if (record->fingerprint != event.request.Fingerprint()) {
    // Same bookingId, different payload: answer REJECTED, touch nothing else.
    rejected_->Increment();
    BookingRecord rejected = *record;
    rejected.request = event.request;
    rejected.status = BookingStatus::kRejected;
    if (Status s = PublishOutcome(rejected, SagaVerdict::kRejected, event.metadata.trace_id, stop);
        !s.ok()) {
      return s;
    }
    return SagaResult{SagaVerdict::kRejected, record->status};
  }
  return Drive(std::move(*record), event.metadata.trace_id, stop);
}

Result<SagaResult> BookingSaga::Resume(const BookingRecord& record, const std::atomic<bool>& stop) {
  return Drive(record, "", stop);
}

// Looks the booking up first, then reserves, then records the booking with the
// reservation's result in one insert. The brief inserts PENDING before
// reserving; doing it in this order keeps every guarantee (reserve is
// idempotent per bookingId; insert-if-absent picks one winner among racing
// duplicates) and saves a ledger write on the sold-out path, which is nearly
// every booking of a flash sale. See DESIGN.md §3.
Result<BookingRecord> BookingSaga::Admit(const BookingEvent& event, const std::atomic<bool>& stop) {
  const BookingRequest& r = event.request;
  auto existing = Retry("get", [&] { return ledger_.Get(r.booking_id); }, stop);
  if (!existing.ok()) return existing.status();
  if (existing->has_value()) return std::move(**existing);  // redelivery, duplicate, or reuse

  auto reserved = Retry("reserve", [&] { return inventory_.Reserve(r.property_id, r.booking_id); }, stop);
  if (!reserved.ok()) return reserved.status();
  const bool holds = *reserved == ReserveOutcome::kReserved ||
                     *reserved == ReserveOutcome::kAlreadyHeld ||
                     *reserved == ReserveOutcome::kAlreadySold;
  const std::string now = NowIso8601();
  BookingRecord fresh;
  fresh.request = r;
  fresh.fingerprint = r.Fingerprint();
  fresh.status = holds ? BookingStatus::kReserved : BookingStatus::kSoldOut;
  fresh.created_at = now;
  fresh.updated_at = now;
  fresh.audit_log = {{"PENDING", now, "event " + event.event_id},
                     {holds ? "RESERVED" : "SOLD_OUT", now,
                      holds ? "holding one unit of " + r.property_id
                            : (*reserved == ReserveOutcome::kUnknownProperty
                                   ? "property " + r.property_id + " has no inventory"
                                   : "no unit available")}};
  Status inserted = Retry("insert", [&] { return ledger_.Insert(fresh); }, stop);
  if (inserted.ok()) return fresh;
  if (inserted.code() != StatusCode::kAlreadyExists) return inserted;
  // Lost the race to a duplicate of this booking: continue from its record.
  // (Our reserve was idempotent per bookingId, so it took nothing extra.)
  auto winner = Retry("get", [&] { return ledger_.Get(r.booking_id); }, stop);
  if (!winner.ok()) return winner.status();
  if (!winner->has_value()) return Status::Internal("booking vanished after a duplicate insert");
  return std::move(**winner);
}

Result<SagaResult> BookingSaga::Drive(BookingRecord record, const std::string& trace_id,
                                      const std::atomic<bool>& stop) {
  while (!IsTerminal(record.status)) {
    if (stop.load()) return Interrupted(record.request.booking_id);
    Status s = record.status == BookingStatus::kPending ? StepPending(record, stop)
                                                        : StepReserved(record, stop);
    if (!s.ok()) return s;
  }
  if (Status s = PublishOutcome(record, SagaVerdict::kTerminal, trace_id, stop); !s.ok()) return s;
  metrics_
      .GetCounter("saga_outcomes_total", "bookings that reached a terminal status",
                  "status=\"" + std::string(BookingStatusName(record.status)) + "\"")
      ->Increment();
  return SagaResult{SagaVerdict::kTerminal, record.status};
}

Status BookingSaga::StepPending(BookingRecord& record, const std::atomic<bool>& stop) {
  const BookingRequest& r = record.request;
  auto reserved = Retry("reserve", [&] { return inventory_.Reserve(r.property_id, r.booking_id); }, stop);
  if (!reserved.ok()) return reserved.status();
  switch (*reserved) {
    case ReserveOutcome::kReserved:
    case ReserveOutcome::kAlreadyHeld:
    case ReserveOutcome::kAlreadySold:  // a crash after confirm; the bank answers the same
      return Move(record, BookingStatus::kReserved, PaymentStatus::kPending, "", "RESERVED",
                  "holding one unit of " + r.property_id, stop);
    case ReserveOutcome::kSoldOut:
      return Move(record, BookingStatus::kSoldOut, PaymentStatus::kPending, "", "SOLD_OUT",
                  "no unit available", stop);
    case ReserveOutcome::kUnknownProperty:
      return Move(record, BookingStatus::kSoldOut, PaymentStatus::kPending, "", "SOLD_OUT",
                  "property " + r.property_id + " has no inventory", stop);
  }
  return Status::Internal("unreachable reserve outcome");
}

Status BookingSaga::StepReserved(BookingRecord& record, const std::atomic<bool>& stop) {
  const BookingRequest& r = record.request;
  auto payment = Pay(record, stop);
  if (!payment.ok()) return payment.status();
  if (payment->status == PaymentStatus::kCaptured) {
    auto confirmed = Retry("confirm", [&] { return inventory_.Confirm(r.property_id, r.booking_id); }, stop);
    if (!confirmed.ok() && confirmed.status().code() != StatusCode::kFailedPrecondition) {
      return confirmed.status();  // interrupted by shutdown: resume later
    }
    if (!confirmed.ok()) {
      // kNoOversell: money was taken but the hold is gone; refund rather than
      // sell a unit nobody holds.
      spdlog::error("booking {} captured but holds no unit: {}; voiding the charge", r.booking_id,
                    confirmed.status().ToString());
      auto voided = Retry("void", [&] { return bank_.Void(r.booking_id, options_.bank_call_timeout); }, stop);
      if (!voided.ok()) return voided.status();
      return Move(record, BookingStatus::kFailedPayment, PaymentStatus::kVoided,
                  payment->transaction_id, "VOIDED", "captured without a hold; refunded", stop);
    }
    return Move(record, BookingStatus::kConfirmed, PaymentStatus::kCaptured,
                payment->transaction_id, "CONFIRMED", "charge " + payment->transaction_id, stop);
  }
  // Declined, or voided after an ambiguous charge: no charge can land any more.
  if (Status s = Compensate(record, stop); !s.ok()) return s;
  return Move(record, BookingStatus::kFailedPayment, payment->status, "", "FAILED_PAYMENT",
              payment->status == PaymentStatus::kDeclined ? "declined by the bank"
                                                          : "no answer from the bank; voided",
              stop);
}

Result<BookingSaga::Payment> BookingSaga::Pay(const BookingRecord& record,
                                              const std::atomic<bool>& stop) {
  const BookingRequest& r = record.request;
  const auto deadline = Clock::now() + options_.payment_deadline;
  Backoff backoff(options_.retry);
  while (true) {
    const auto start = Clock::now();
    ChargeResult charge = bank_.Charge(r.booking_id, r.amount, options_.bank_call_timeout);
    bank_latency_->Observe(std::chrono::duration<double>(Clock::now() - start).count());
    if (charge.outcome == ChargeOutcome::kCaptured) {
      return Payment{PaymentStatus::kCaptured, charge.transaction_id};
    }
    if (charge.outcome == ChargeOutcome::kDeclined) return Payment{PaymentStatus::kDeclined, ""};
    metrics_.GetCounter("saga_retries_total", "retried saga steps", "step=\"charge\"")->Increment();
    if (Clock::now() >= deadline) break;
    spdlog::warn("charge for {} unanswered ({}); retrying the same key", r.booking_id, charge.detail);
    if (!SleepUnlessStopped(backoff.Next(), stop)) return Interrupted(r.booking_id);
  }
  // kNoReleaseWhileChargeMayLand: void by key, so no late charge can succeed.
  spdlog::warn("payment deadline passed for {}; voiding", r.booking_id);
  auto voided = Retry("void", [&] { return bank_.Void(r.booking_id, options_.bank_call_timeout); }, stop);
  if (!voided.ok()) return voided.status();
  return Payment{*voided == ChargeState::kDeclined ? PaymentStatus::kDeclined : PaymentStatus::kVoided,
                 ""};
}

Status BookingSaga::Compensate(const BookingRecord& record, const std::atomic<bool>& stop) {
  const BookingRequest& r = record.request;
  // Never gives up: a failed release is a leaked room. Only shutdown stops it,
  // and then the event is redelivered and the release tried again.
  auto released = Retry("release", [&] { return inventory_.Release(r.property_id, r.booking_id); }, stop);
  if (!released.ok()) return released.status();
  if (*released) compensations_->Increment();
  return Status::Ok();
}

Status BookingSaga::Move(BookingRecord& record, BookingStatus to, PaymentStatus payment,
                         const std::string& transaction_id, const std::string& action,
                         const std::string& detail, const std::atomic<bool>& stop) {
  assert(IsAllowedTransition(record.status, to) && "kStateMachine");
  LedgerChange change{to, payment, transaction_id, {action, NowIso8601(), detail}};
  const std::string& id = record.request.booking_id;
  Status s = Retry("ledger", [&] { return ledger_.Transition(id, record.status, record.version, change); }, stop);
  if (s.ok()) {
    record.status = to;
    record.payment_status = payment;
    if (!transaction_id.empty()) record.transaction_id = transaction_id;
    record.updated_at = change.entry.timestamp;
    record.audit_log.push_back(change.entry);
    ++record.version;
    return Status::Ok();
  }
  if (s.code() != StatusCode::kFailedPrecondition) return s;
  // Lost the compare-and-set: someone else moved it. Continue from their state.
  auto fresh = Retry("get", [&] { return ledger_.Get(id); }, stop);
  if (!fresh.ok()) return fresh.status();
  if (!fresh->has_value()) return Status::Internal("booking " + id + " vanished");
  record = std::move(**fresh);
  return Status::Ok();
}

Status BookingSaga::PublishOutcome(const BookingRecord& record, SagaVerdict verdict,
                                   const std::string& trace_id, const std::atomic<bool>& stop) {
  OutcomeEvent outcome{NewUuid(),
                       NowIso8601(),
                       record.request.booking_id,
                       record.request.property_id,
                       verdict == SagaVerdict::kRejected ? BookingStatus::kRejected : record.status,
                       record.transaction_id,
                       verdict == SagaVerdict::kRejected
                           ? "bookingId already used with a different payload"
                           : (record.audit_log.empty() ? "" : record.audit_log.back().detail),
                       trace_id};
  OutgoingEvent event{options_.outcomes_topic, record.request.booking_id,
                      EncodeOutcomeEvent(outcome), {}};
  return Retry("outcome", [&] { return producer_.Publish(event, std::chrono::seconds(10)); }, stop);
}

}  // namespace wanderluxe
