// Port: the status views, the read model `GET /api/v1/bookings/{id}` answers
// from (DESIGN.md "The status view"). One view per booking: the public JSON of
// its ledger record at one version, and the client that booked it. The
// processor writes a booking's view after every change it records, and before
// it publishes an outcome event, so a guest woken by an outcome reads a view at
// least as new. The ledger stays the authority; a view may lag it by the
// changes whose best-effort write failed, never by a published outcome.
//
// Thread safety: every call may run concurrently with any other, on the same
// booking or different ones, from any thread and process. Put is atomic and
// monotonic per booking: a view replaces the stored one only when its version
// is higher, so two writers racing (an old driver's late write, a new
// driver's) leave the newer. Each call has a deadline of its own
// (RedisConfig::command_timeout_ms): past it, an error, never silence.
#ifndef WANDERLUXE_PORTS_STATUS_VIEWS_H_
#define WANDERLUXE_PORTS_STATUS_VIEWS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "wanderluxe/status.h"

namespace wanderluxe {

struct StatusView {
  std::string booking_id;
  int64_t version = 0;    // the ledger record's version this view shows
  std::string client_id;  // who booked it; empty without API keys
  bool terminal = false;  // its status can never change again
  std::string body;       // the public JSON (BookingViewJson), served as is

  bool operator==(const StatusView&) const = default;
};

class StatusViews {
 public:
  virtual ~StatusViews() = default;

  // Stores `view` unless the stored one's version is equal or higher.
  virtual Status Put(const StatusView& view) = 0;
  // Put of each, in one round trip where the store can (a batch's sold-out
  // bookings); not atomic across views. OK only once every one is stored.
  virtual Status PutMany(const std::vector<StatusView>& views) {
    for (const StatusView& view : views) {
      if (Status s = Put(view); !s.ok()) return s;
    }
    return Status::Ok();
  }
  virtual Result<std::optional<StatusView>> Get(const std::string& booking_id) = 0;
};

}  // namespace wanderluxe

#endif  // WANDERLUXE_PORTS_STATUS_VIEWS_H_
