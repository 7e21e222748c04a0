// The booking saga (ARCHITECTURE §6), orchestrated, its state in the ledger:
//
//   PENDING --reserve--> RESERVED --charge--> (confirm) CONFIRMED
//      \--sold out--> SOLD_OUT        \--declined / void--> (release) FAILED_PAYMENT
//
// Every step is idempotent per bookingId, so a redelivered event, a second
// worker holding the same booking, or the reconciler resumes where the ledger
// says the booking is. Invariants kept here:
//   kNoOversell: a unit is sold only after a captured charge, from a hold.
//   kNoLeak: a hold is released exactly when the booking fails payment.
//   kNoReleaseWhileChargeMayLand: an ambiguous charge is voided first.
#ifndef WANDERLUXE_BOOKING_SAGA_H_
#define WANDERLUXE_BOOKING_SAGA_H_

#include <atomic>
#include <chrono>
#include <string>

#include "wanderluxe/booking_event.h"
#include "wanderluxe/metrics.h"
#include "wanderluxe/ports/bank.h"
#include "wanderluxe/ports/event_producer.h"
#include "wanderluxe/ports/inventory_store.h"
#include "wanderluxe/ports/ledger.h"
#include "wanderluxe/retry_policy.h"

namespace wanderluxe {

struct SagaOptions {
  RetryPolicy retry;
  std::chrono::milliseconds payment_deadline{15'000};
  std::chrono::milliseconds bank_call_timeout{5'000};
  std::string outcomes_topic = "booking.outcomes";
};

// What became of one event. kRejected: the bookingId exists with another payload.
enum class SagaVerdict { kTerminal, kRejected };

struct SagaResult {
  SagaVerdict verdict = SagaVerdict::kTerminal;
  BookingStatus status = BookingStatus::kPending;  // the booking's terminal status
};

class BookingSaga {
 public:
  BookingSaga(SagaOptions options, InventoryStore& inventory, Ledger& ledger, Bank& bank,
              EventProducer& producer, MetricsRegistry& metrics);

  // Drives the event's booking to a terminal state. Transient failures are
  // retried without end; only `stop` interrupts (kUnavailable "interrupted"),
  // and then the event must be redelivered, not marked done.
  Result<SagaResult> Process(const BookingEvent& event, const std::atomic<bool>& stop);

  // Continues a booking from the ledger's state (the reconciler).
  Result<SagaResult> Resume(const BookingRecord& record, const std::atomic<bool>& stop);

 private:
  struct Payment {
    PaymentStatus status;
    std::string transaction_id;
  };

  Result<BookingRecord> Admit(const BookingEvent& event, const std::atomic<bool>& stop);
  Result<SagaResult> Drive(BookingRecord record, const std::string& trace_id,
                           const std::atomic<bool>& stop);
  Status StepPending(BookingRecord& record, const std::atomic<bool>& stop);
  Status StepReserved(BookingRecord& record, const std::atomic<bool>& stop);
  Result<Payment> Pay(const BookingRecord& record, const std::atomic<bool>& stop);
  Status Compensate(const BookingRecord& record, const std::atomic<bool>& stop);
  // Moves the record; on a lost compare-and-set reloads it (another worker moved it).
  Status Move(BookingRecord& record, BookingStatus to, PaymentStatus payment,
              const std::string& transaction_id, const std::string& action,
              const std::string& detail, const std::atomic<bool>& stop);
  Status PublishOutcome(const BookingRecord& record, SagaVerdict verdict,
                        const std::string& trace_id, const std::atomic<bool>& stop);
  // Retries `call` until it returns OK or a logical (non-transient) error.
  template <typename Call>
  auto Retry(const char* step, Call call, const std::atomic<bool>& stop) -> decltype(call());

  const SagaOptions options_;
  InventoryStore& inventory_;
  Ledger& ledger_;
  Bank& bank_;
  EventProducer& producer_;
  MetricsRegistry& metrics_;
  Counter* compensations_;
  Counter* rejected_;
  Histogram* bank_latency_;
};

}  // namespace wanderluxe

#endif  // WANDERLUXE_BOOKING_SAGA_H_
