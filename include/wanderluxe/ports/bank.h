// Port: the payment provider (docs/contract.md "HTTP APIs", bank). Charges are idempotent by key
// (the bookingId): the same key again returns the first answer, never a second
// charge. A void makes the key unusable for any later charge.
//
// Thread safety: every call may run concurrently with any other, from any
// number of threads, also for the same key: the processor's workers and its
// reconciler share one Bank. SimulatedBank locks its RNG and its ChargeBook
// (whose lock makes the first decision for a key the only one); HttpBank locks
// only its pool of kept connections, never across a call, and the bank role
// serialises each key in its ChargeBook.
#ifndef WANDERLUXE_PORTS_BANK_H_
#define WANDERLUXE_PORTS_BANK_H_

#include <chrono>
#include <string>
#include <string_view>

#include "wanderluxe/money.h"
#include "wanderluxe/status.h"

namespace wanderluxe {

enum class ChargeOutcome {
  kCaptured,  // money taken; transaction_id set
  kDeclined,  // refused for good (including: the key was voided)
  kUnknown,   // no answer (timeout, 5xx, reset): the charge may or may not have landed
};

struct ChargeResult {
  ChargeOutcome outcome = ChargeOutcome::kUnknown;
  std::string transaction_id;
  std::string detail;
};

// What the bank's book says about a key.
enum class ChargeState { kNone, kCaptured, kDeclined, kVoided };

inline std::string_view ChargeStateName(ChargeState state) {
  switch (state) {
    case ChargeState::kNone:
      return "NONE";
    case ChargeState::kCaptured:
      return "CAPTURED";
    case ChargeState::kDeclined:
      return "DECLINED";
    case ChargeState::kVoided:
      return "VOIDED";
  }
  return "UNKNOWN";
}

class Bank {
 public:
  virtual ~Bank() = default;

  virtual ChargeResult Charge(const std::string& key, const Money& amount,
                              std::chrono::milliseconds timeout) = 0;
  // Voids a capture, or forbids a later charge; returns the state after it.
  // kDeadlineExceeded / kUnavailable when the bank did not answer.
  virtual Result<ChargeState> Void(const std::string& key, std::chrono::milliseconds timeout) = 0;
};

}  // namespace wanderluxe

#endif  // WANDERLUXE_PORTS_BANK_H_
