// Bank over HTTP: the client of `wanderluxe bank` (docs/contract.md "HTTP APIs", bank).
//   POST /v1/charges            Idempotency-Key: <bookingId>  -> 201 captured | 402 declined
//   GET  /v1/charges/{key}      -> 200 {status} | 404
//   POST /v1/charges/{key}/void -> 200 {status}
// No answer, a 5xx or a reset is ChargeOutcome::kUnknown: the charge may have landed.
// Each call's timeout is ONE deadline for the whole exchange (connect, send,
// receive; http_exchange.h): past it a charge is kUnknown, a void
// kDeadlineExceeded, however the server paced its bytes.
#ifndef WANDERLUXE_ADAPTERS_BANK_HTTP_BANK_H_
#define WANDERLUXE_ADAPTERS_BANK_HTTP_BANK_H_

#include <string>

#include "wanderluxe/ports/bank.h"

namespace wanderluxe {

class HttpBank final : public Bank {
 public:
  explicit HttpBank(std::string base_url) : base_url_(std::move(base_url)) {}

  ChargeResult Charge(const std::string& key, const Money& amount,
                      std::chrono::milliseconds timeout) override;
  Result<ChargeState> Void(const std::string& key, std::chrono::milliseconds timeout) override;

 private:
  const std::string base_url_;
};

}  // namespace wanderluxe

#endif  // WANDERLUXE_ADAPTERS_BANK_HTTP_BANK_H_
