// Bank over HTTP: the client of `wanderluxe bank` (docs/contract.md "HTTP APIs", bank).
//   POST /v1/charges            Idempotency-Key: <bookingId>  -> 201 captured | 402 declined
//   GET  /v1/charges/{key}      -> 200 {status} | 404
//   POST /v1/charges/{key}/void -> 200 {status}
// No answer, a 5xx or a reset is ChargeOutcome::kUnknown: the charge may have landed.
// Each call's timeout is ONE deadline for the whole exchange (taking a kept
// connection or connecting, sending, receiving, and the one retry of
// http_connection_pool.h): past it a charge is kUnknown, a void
// kDeadlineExceeded, however the server paced its bytes.
//
// Calls go over kept-alive connections, at most `pool_size` kept between
// calls (bank.pool_size; 0 opens one per call). Charges and voids are
// idempotent by key, which makes the pool's one retry on a kept connection
// the server had closed safe: a second send gets the first answer.
//
// Thread safety: Charge and Void may run concurrently from any number of
// threads (the saga's workers and the reconciler share one HttpBank).
#ifndef WANDERLUXE_ADAPTERS_BANK_HTTP_BANK_H_
#define WANDERLUXE_ADAPTERS_BANK_HTTP_BANK_H_

#include <chrono>
#include <cstddef>
#include <string>

#include "adapters/http/http_connection_pool.h"
#include "wanderluxe/ports/bank.h"

namespace wanderluxe {

// How long a connection may stay idle before it is closed rather than used:
// below the bank role's keep-alive timeout (HttpServerOptions), so the client
// mostly gives a connection up before the server does.
inline constexpr std::chrono::milliseconds kBankConnectionMaxIdle(2000);

class HttpBank final : public Bank {
 public:
  HttpBank(std::string base_url, size_t pool_size);

  ChargeResult Charge(const std::string& key, const Money& amount,
                      std::chrono::milliseconds timeout) override;
  Result<ChargeState> Void(const std::string& key, std::chrono::milliseconds timeout) override;

  // Connections opened, calls on kept ones, retries: for tests and benchmarks.
  HttpConnectionPool::Counts pool_counts() const { return pool_.counts(); }

 private:
  HttpConnectionPool pool_;
};

}  // namespace wanderluxe

#endif  // WANDERLUXE_ADAPTERS_BANK_HTTP_BANK_H_
