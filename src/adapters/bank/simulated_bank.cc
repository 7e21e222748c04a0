#include "adapters/bank/simulated_bank.h"

#include <thread>

#include "wanderluxe/ids.h"

namespace wanderluxe {

SimulatedBank::SimulatedBank(const BankConfig& config, std::unique_ptr<ChargeBook> book)
    : config_(config), book_(std::move(book)), rng_(static_cast<uint64_t>(config.seed)) {}

SimulatedBank::Fault SimulatedBank::Roll() {
  MutexLock lock(&rng_mu_);
  const int64_t roll = static_cast<int64_t>(rng_() % 100);
  if (roll < config_.decline_pct) return Fault::kDecline;
  if (roll < config_.decline_pct + config_.timeout_pct) {
    return rng_() % 2 == 0 ? Fault::kTimeout : Fault::kTimeoutAfterCapture;
  }
  if (roll < config_.decline_pct + config_.timeout_pct + config_.error_pct) return Fault::kError;
  return Fault::kNone;
}

ChargeResult SimulatedBank::Charge(const std::string& key, const Money& amount,
                                   std::chrono::milliseconds timeout) {
  const Fault fault = Roll();
  const auto latency = std::chrono::milliseconds(config_.latency_ms);
  if (fault == Fault::kTimeout || fault == Fault::kTimeoutAfterCapture || latency > timeout) {
    if (fault == Fault::kTimeoutAfterCapture) {
      (void)book_->Record(key, {ChargeState::kCaptured, "txn-" + NewUuid(), amount});
    }
    std::this_thread::sleep_for(timeout);
    return {ChargeOutcome::kUnknown, "", "timeout"};
  }
  std::this_thread::sleep_for(latency);
  if (fault == Fault::kError) return {ChargeOutcome::kUnknown, "", "bank error (5xx)"};
  ChargeEntry decision{fault == Fault::kDecline ? ChargeState::kDeclined : ChargeState::kCaptured,
                       fault == Fault::kDecline ? "" : "txn-" + NewUuid(), amount};
  auto entry = book_->Record(key, decision);
  if (!entry.ok()) return {ChargeOutcome::kUnknown, "", entry.status().ToString()};
  switch (entry->state) {
    case ChargeState::kCaptured:
      return {ChargeOutcome::kCaptured, entry->transaction_id, ""};
    case ChargeState::kVoided:
      return {ChargeOutcome::kDeclined, "", "key was voided"};
    default:
      return {ChargeOutcome::kDeclined, "", "declined"};
  }
}

Result<ChargeState> SimulatedBank::Void(const std::string& key, std::chrono::milliseconds) {
  return book_->Void(key);
}

}  // namespace wanderluxe
