// Port: the gateway's read of one booking's status without a thread waiting:
// its status view (status_views.h) and its accepted record (idempotency
// store), in one call, so an unknown id costs one round trip and no ledger
// read (DESIGN.md "The status view").
//
// Thread safety: ReadAsync may run concurrently with itself from any number
// of threads and never blocks. Its `done` runs exactly once, on the
// implementation's I/O thread, or on the calling thread before the call
// returns when the call is refused outright (queue full, shutting down); a
// `done` must be short and must not block. Each read has a deadline
// (RedisConfig::command_timeout_ms): past it `done` gets an error. A read is
// of one moment: the view and the record it returns were both there together.
#ifndef WANDERLUXE_PORTS_STATUS_READS_H_
#define WANDERLUXE_PORTS_STATUS_READS_H_

#include <functional>
#include <optional>
#include <string>

#include "wanderluxe/ports/idempotency_store.h"
#include "wanderluxe/ports/status_views.h"
#include "wanderluxe/status.h"

namespace wanderluxe {

// What is known of a booking outside the ledger; both empty: nothing.
struct BookingStatusRead {
  std::optional<StatusView> view;
  std::optional<AcceptedBooking> accepted;  // only when there is no view: it replaces this
};

using StatusReadCallback = std::function<void(Result<BookingStatusRead>)>;

class StatusReads {
 public:
  virtual ~StatusReads() = default;

  virtual void ReadAsync(const std::string& booking_id, StatusReadCallback done) = 0;
};

}  // namespace wanderluxe

#endif  // WANDERLUXE_PORTS_STATUS_READS_H_
