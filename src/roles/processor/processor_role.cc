#include "roles/processor/processor_role.h"

#include <spdlog/spdlog.h>

#include <thread>

#include "adapters/http/http_server.h"
#include "adapters/kafka/consumer_lag.h"
#include "adapters/kafka/kafka_consumer.h"
#include "roles/common/admin_server.h"
#include "roles/common/credentials_check.h"
#include "roles/common/saga_wiring.h"
#include "roles/common/termination.h"
#include "roles/processor/booking_processor.h"
#include "roles/processor/stall_guard.h"
#include "wanderluxe/reconciler.h"

namespace wanderluxe {
namespace {

// Periodically finishes sagas nobody is driving (I5).
void ReconcileLoop(Reconciler& reconciler, std::chrono::seconds interval,
                   const std::atomic<bool>& stop) {
  while (SleepUnlessStopped(interval, stop)) {
    auto report = reconciler.RunOnce(stop);
    if (!report.ok()) {
      spdlog::warn("reconciler: {}", report.status().ToString());
    } else if (report->found > 0) {
      spdlog::info("reconciler finished {} stale bookings ({} failed)", report->found,
                   report->failed);
    }
  }
}

int RunProcessor(const RoleContext& context) {
  BlockTerminationSignals();
  const Config& config = context.config;
  if (Status s = CheckCredentials(config, /*uses_redis=*/true); !s.ok()) {
    spdlog::error("processor cannot start: {}", s.ToString());
    return kExitFailure;
  }
  MetricsRegistry metrics;
  auto wiring = WireSaga(config, metrics);
  if (!wiring.ok()) {
    spdlog::error("processor: {}", wiring.status().ToString());
    return kExitFailure;
  }
  BookingProcessor processor(ProcessorOptions::From(config), *(*wiring)->saga, *(*wiring)->producer,
                             metrics);
  auto consumer = KafkaConsumer::Create(config.kafka, config.processor.group_id, {}, &processor);
  if (!consumer.ok()) {
    spdlog::error("processor consumer: {}", consumer.status().ToString());
    return kExitFailure;
  }
  processor.Attach(consumer->get());
  if (Status s = (*consumer)->Subscribe({config.kafka.requests_topic}); !s.ok()) {
    spdlog::error("processor subscribe: {}", s.ToString());
    return kExitFailure;
  }
  StallGuard guard(processor, **consumer,
                   std::chrono::milliseconds(config.processor.stall_timeout_ms), metrics);
  auto admin = MakeAdminServer(
      config.processor.admin_host, config.processor.admin_port, metrics,
      [&] { PublishConsumerLag((*consumer)->handle(), metrics, "processor_consumer_lag"); },
      [&guard] { return guard.Readiness(); });
  if (Status s = admin->Start(); !s.ok()) {
    spdlog::error("processor admin endpoint: {}", s.ToString());
    return kExitFailure;
  }
  std::atomic<bool> stop{false};
  Reconciler reconciler(*(*wiring)->ledger, *(*wiring)->saga, Reconciler::ThresholdFor(config));
  std::thread reconcile([&] {
    ReconcileLoop(reconciler, std::chrono::seconds(config.processor.reconcile_interval_s), stop);
  });
  std::thread poll([&] { processor.Run(stop); });
  std::thread watch([&] { guard.Run(stop); });
  spdlog::info("processor consuming {} as {} with {} workers (bank: {}); admin on {}:{}",
               config.kafka.requests_topic, config.processor.group_id, config.processor.workers,
               config.bank.mode, config.processor.admin_host, admin->port());
  std::optional<int> signo;
  while (!(signo = WaitForTermination(std::chrono::seconds(1)))) {
  }
  spdlog::info("signal {}: draining", *signo);
  stop = true;
  poll.join();  // drains and commits
  reconcile.join();
  watch.join();
  // kWriteDownAtEnd: the documents of drives handed back or left waiting.
  if (Status s = (*wiring)->ledger->WriteDownPending(); !s.ok()) {
    spdlog::warn("processor: deferred write-downs left to the readers: {}", s.ToString());
  }
  (*consumer)->Close();
  admin->Stop();
  spdlog::info("processor stopped");
  return kExitOk;
}

}  // namespace

RoleMain AddProcessorCommand(CLI::App&) { return RunProcessor; }

}  // namespace wanderluxe
