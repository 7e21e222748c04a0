#include "roles/reconcile/reconcile_role.h"

#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <cstdio>
#include <memory>

#include "roles/common/invariants.h"
#include "roles/common/saga_wiring.h"
#include "roles/reconcile/hold_repair.h"
#include "roles/reconcile/waitlist_sweep.h"
#include "wanderluxe/reconciler.h"

namespace wanderluxe {
namespace {

// The oversell runbook's tool: find what is stuck, leaked or orphaned, and
// with --fix drive it to a safe state, saying what it did.
int RunReconcile(const RoleContext& context, bool fix) {
  const Config& config = context.config;
  MetricsRegistry metrics;
  auto wiring = WireSaga(config, metrics);
  if (!wiring.ok()) {
    spdlog::error("reconcile: {}", wiring.status().ToString());
    return kExitFailure;
  }
  SagaWiring& w = **wiring;
  std::atomic<bool> stop{false};
  if (fix) {
    Reconciler reconciler(*w.ledger, *w.saga, Reconciler::ThresholdFor(config));
    auto report = reconciler.RunOnce(stop);
    // kWriteDownAtEnd: the checks below read documents.
    if (Status s = w.ledger->WriteDownPending(); !s.ok()) {
      spdlog::warn("reconcile: deferred write-downs left to the readers: {}", s.ToString());
    }
    if (!report.ok()) {
      spdlog::error("reconcile: {}", report.status().ToString());
      return kExitFailure;
    }
    std::printf("stuck sagas: %lld found, %lld failed to finish\n",
                static_cast<long long>(report->found), static_cast<long long>(report->failed));
    for (const auto& [status, n] : report->finished) {
      std::printf("  finished as %s: %lld\n", std::string(BookingStatusName(status)).c_str(),
                  static_cast<long long>(n));
    }
  }
  InvariantChecker checker(config, *w.redis, *w.mongo, *w.inventory, *w.inventory, *w.ledger,
                           *w.ledger);
  auto results = checker.Check({});
  if (fix) {
    if (!checker.leaked_holds.empty()) {
      const HoldRepair repair = RepairLeakedHolds(*w.inventory, checker.leaked_holds);
      std::printf(
          "holds of finished bookings: %zu found, %lld of CONFIRMED bookings made sold, %lld "
          "released\n",
          checker.leaked_holds.size(), static_cast<long long>(repair.sold),
          static_cast<long long>(repair.released));
      for (const auto& e : repair.errors) std::printf("  failed: %s\n", e.c_str());
    }
    for (const auto& key : checker.orphan_charges) {
      auto voided = w.bank->Void(key, std::chrono::milliseconds(config.bank.request_timeout_ms));
      std::printf("voided charge %s with no confirmed booking: %s\n", key.c_str(),
                  voided.ok() ? std::string(ChargeStateName(*voided)).c_str()
                              : voided.status().ToString().c_str());
    }
    if (!checker.stale_waiters.empty()) {
      const WaitlistSweep sweep = RemoveStaleWaiters(*w.inventory, checker.stale_waiters);
      std::printf(
          "waitlist entries of finished or unknown bookings: %zu found, %lld removed, %lld "
          "holds handed to them meanwhile given back\n",
          checker.stale_waiters.size(), static_cast<long long>(sweep.removed),
          static_cast<long long>(sweep.released));
      for (const auto& e : sweep.errors) std::printf("  failed: %s\n", e.c_str());
    }
    if (!checker.leaked_holds.empty() || !checker.orphan_charges.empty() ||
        !checker.stale_waiters.empty()) {
      results = InvariantChecker(config, *w.redis, *w.mongo, *w.inventory, *w.inventory, *w.ledger,
                                 *w.ledger)
                    .Check({});
    }
  }
  return PrintInvariants(results) ? kExitOk : kExitFailure;
}

}  // namespace

RoleMain AddReconcileCommand(CLI::App& command) {
  auto fix = std::make_shared<bool>(false);
  command.add_flag("--fix", *fix,
                   "finish stuck sagas, release leaked holds, void orphan charges, remove waitlist "
                   "entries of finished bookings");
  return [fix](const RoleContext& context) { return RunReconcile(context, *fix); };
}

}  // namespace wanderluxe
