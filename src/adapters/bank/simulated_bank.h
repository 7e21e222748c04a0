// The challenge's "slow bank", in process: configurable latency and rates of
// declines, timeouts and 5xx errors from a seeded RNG, over a ChargeBook so
// that charges stay idempotent by key. A simulated timeout is ambiguous on
// purpose: half of them capture the charge and lose the answer.
#ifndef WANDERLUXE_ADAPTERS_BANK_SIMULATED_BANK_H_
#define WANDERLUXE_ADAPTERS_BANK_SIMULATED_BANK_H_

#include <memory>
#include <random>

#include "adapters/bank/charge_book.h"
#include "wanderluxe/config.h"
#include "wanderluxe/mutex.h"
#include "wanderluxe/ports/bank.h"
#include "wanderluxe/thread_annotations.h"

namespace wanderluxe {

class SimulatedBank final : public Bank {
 public:
  SimulatedBank(const BankConfig& config, std::unique_ptr<ChargeBook> book);

  ChargeResult Charge(const std::string& key, const Money& amount,
                      std::chrono::milliseconds timeout) override;
  Result<ChargeState> Void(const std::string& key, std::chrono::milliseconds timeout) override;

  ChargeBook& book() { return *book_; }

 private:
  enum class Fault { kNone, kDecline, kTimeout, kTimeoutAfterCapture, kError };
  Fault Roll() EXCLUDES(rng_mu_);

  const BankConfig config_;
  std::unique_ptr<ChargeBook> book_;
  Mutex rng_mu_;
  std::mt19937_64 rng_ GUARDED_BY(rng_mu_);
};

}  // namespace wanderluxe

#endif  // WANDERLUXE_ADAPTERS_BANK_SIMULATED_BANK_H_
