#include "roles/loadtest/loadtest_role.h"

#include <spdlog/spdlog.h>
#include <unistd.h>
#include <CLI/CLI.hpp>

#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "adapters/kafka/kafka_consumer.h"

#include "roles/common/invariants.h"
#include "roles/loadtest/herd.h"
#include "wanderluxe/ids.h"

namespace wanderluxe {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

struct LoadtestOptions {
  std::string url;
  std::string property_id;
  int64_t inventory = -1;
  int64_t requests = 1000;
  int concurrency = 100;
  double duplicates = 0;
  double rate = 0;
  int64_t timeout_s = 300;
  bool json = false;
};

void ShowProgress(int64_t done, int64_t total) {
  const int width = 40;
  const int filled = static_cast<int>(width * done / std::max<int64_t>(total, 1));
  std::fprintf(stderr, "\r  [%s%s] %lld/%lld", std::string(filled, '#').c_str(),
               std::string(width - filled, ' ').c_str(), static_cast<long long>(done),
               static_cast<long long>(total));
  if (done >= total) std::fprintf(stderr, "\n");
}

// Waits until every accepted booking of the property is terminal, or the
// timeout, by reading `booking.outcomes` (the processor announces each terminal
// booking there): polling the ledger would load it with scans while it works.
std::map<BookingStatus, int64_t> WaitForTerminal(const Config& config, const std::string& property,
                                                 const std::vector<std::string>& accepted,
                                                 std::chrono::seconds timeout,
                                                 double& seconds_waited) {
  const auto start = Clock::now();
  std::map<std::string, BookingStatus> finished;  // bookingId -> its terminal status
  std::map<BookingStatus, int64_t> counts;
  auto consumer = KafkaConsumer::Create(config.kafka, "loadtest-" + NewUuid());
  if (!consumer.ok() || !(*consumer)->Subscribe({config.kafka.outcomes_topic}).ok()) {
    spdlog::error("loadtest: cannot read {}", config.kafka.outcomes_topic);
    return counts;
  }
  const std::set<std::string> wanted(accepted.begin(), accepted.end());
  size_t rejected = 0;
  while (finished.size() < wanted.size() && Clock::now() - start < timeout) {
    auto polled = (*consumer)->Poll(std::chrono::milliseconds(200));
    if (!polled.ok() || !polled->has_value()) continue;
    json doc = json::parse((*polled)->value, nullptr, /*allow_exceptions=*/false);
    if (!doc.is_object() || !doc.contains("payload")) continue;
    const json& p = doc["payload"];
    if (p.value("propertyId", "") != property) continue;
    auto status = ParseBookingStatus(p.value("status", ""));
    if (!status) continue;
    if (*status == BookingStatus::kRejected) {
      ++rejected;
      continue;
    }
    const std::string id = p.value("bookingId", "");
    if (wanted.count(id)) finished[id] = *status;
  }
  (*consumer)->Close();
  seconds_waited = std::chrono::duration<double>(Clock::now() - start).count();
  for (const auto& [id, status] : finished) ++counts[status];
  counts[BookingStatus::kRejected] = static_cast<int64_t>(rejected);
  return counts;
}

int RunLoadtest(const RoleContext& context, LoadtestOptions o) {
  const Config& config = context.config;
  if (o.url.empty()) o.url = "http://127.0.0.1:" + std::to_string(config.gateway.port);
  if (o.property_id.empty()) o.property_id = "prop-flash-" + std::to_string(NowUnixMillis());
  if (o.duplicates < 0 || o.duplicates >= 1 || o.requests < 1 || o.concurrency < 1) {
    std::fprintf(stderr,
                 "wanderluxe loadtest: need --requests >= 1, --concurrency >= 1, "
                 "0 <= --duplicates < 1\n");
    return kExitUsage;
  }
  auto redis = RedisClient::Connect(config.redis);
  auto mongo = MongoStore::Connect(config.mongo);
  if (!redis.ok() || !mongo.ok()) {
    spdlog::error("loadtest: {}", (redis.ok() ? mongo.status() : redis.status()).ToString());
    return kExitFailure;
  }
  RedisInventoryStore inventory(**redis);
  if (o.inventory >= 0) {
    auto seeded = inventory.Seed(o.property_id, o.inventory, /*force=*/true);
    if (!seeded.ok()) {
      spdlog::error("loadtest seed: {}", seeded.status().ToString());
      return kExitFailure;
    }
  }
  if (!o.json) {
    std::fprintf(stderr, "herd: %lld requests, %d connections, %.0f%% duplicates, property %s\n",
                 static_cast<long long>(o.requests), o.concurrency, o.duplicates * 100,
                 o.property_id.c_str());
  }
  HerdOptions herd;
  herd.url = o.url;
  herd.property_id = o.property_id;
  herd.run_id = std::to_string(NowUnixMillis());
  herd.requests = o.requests;
  herd.concurrency = o.concurrency;
  herd.duplicates = o.duplicates;
  herd.rate = o.rate;
  if (!o.json && isatty(STDERR_FILENO)) {
    herd.on_progress = [&](int64_t done) { ShowProgress(done, o.requests); };
  }
  HerdResult result = RunHerd(herd);

  double drain_s = 0;
  auto outcomes = WaitForTerminal(config, o.property_id, result.accepted_ids,
                                  std::chrono::seconds(o.timeout_s), drain_s);
  InvariantChecker checker(config, **redis, **mongo);
  VerifyScope scope{{o.property_id}, result.accepted_ids};
  scope.check_audit = false;  // `verify` checks the audit, once it has caught up
  std::vector<InvariantResult> invariants = checker.Check(scope);
  bool ok = true;
  for (const auto& r : invariants) ok = ok && r.verdict != InvariantResult::Verdict::kFail;

  const int64_t accepted = static_cast<int64_t>(result.accepted_ids.size());
  const auto& lat = result.latencies_ms;
  if (o.json) {
    json statuses = json::object();
    for (const auto& [status, n] : result.status_counts) statuses[std::to_string(status)] = n;
    json inv = json::array();
    for (const auto& r : invariants) {
      inv.push_back({{"id", r.id}, {"verdict", VerdictName(r.verdict)}, {"details", r.details}});
    }
    json out = {{"property", o.property_id},
                {"requests", o.requests},
                {"duplicatesSent", result.duplicates_sent},
                {"httpStatuses", statuses},
                {"acceptedBookings", accepted},
                {"acceptedPerSecond", result.seconds > 0 ? accepted / result.seconds : 0},
                {"latencyMs",
                 {{"p50", Percentile(lat, 50)},
                  {"p90", Percentile(lat, 90)},
                  {"p99", Percentile(lat, 99)},
                  {"max", lat.empty() ? 0 : lat.back()}}},
                {"outcomes",
                 {{"CONFIRMED", outcomes[BookingStatus::kConfirmed]},
                  {"SOLD_OUT", outcomes[BookingStatus::kSoldOut]},
                  {"FAILED_PAYMENT", outcomes[BookingStatus::kFailedPayment]},
                  {"PARKED", outcomes[BookingStatus::kParked]},
                  {"REJECTED", outcomes[BookingStatus::kRejected]}}},
                {"herdSeconds", result.seconds},
                {"drainSeconds", drain_s},
                // From the first request to the last booking terminal.
                {"totalSeconds", result.seconds + drain_s},
                {"invariants", inv},
                {"pass", ok}};
    std::printf("%s\n", out.dump(2).c_str());
  } else {
    std::printf("\nHTTP answers (%lld requests, %lld of them duplicates):\n",
                static_cast<long long>(o.requests), static_cast<long long>(result.duplicates_sent));
    for (const auto& [status, n] : result.status_counts) {
      std::printf("  %s %lld\n", status == 0 ? "no answer" : std::to_string(status).c_str(),
                  static_cast<long long>(n));
    }
    std::printf("accepted bookings: %lld in %.2f s (%.0f/s)\n", static_cast<long long>(accepted),
                result.seconds, result.seconds > 0 ? accepted / result.seconds : 0.0);
    std::printf("latency ms: p50 %.1f  p90 %.1f  p99 %.1f  max %.1f\n", Percentile(lat, 50),
                Percentile(lat, 90), Percentile(lat, 99), lat.empty() ? 0.0 : lat.back());
    std::printf(
        "outcomes after %.1f s: CONFIRMED %lld, SOLD_OUT %lld, FAILED_PAYMENT %lld, "
        "PARKED %lld, REJECTED %lld\n\ninvariants:\n",
        drain_s, static_cast<long long>(outcomes[BookingStatus::kConfirmed]),
        static_cast<long long>(outcomes[BookingStatus::kSoldOut]),
        static_cast<long long>(outcomes[BookingStatus::kFailedPayment]),
        static_cast<long long>(outcomes[BookingStatus::kParked]),
        static_cast<long long>(outcomes[BookingStatus::kRejected]));
    PrintInvariants(invariants);
  }
  return ok ? kExitOk : kExitFailure;
}

}  // namespace

RoleMain AddLoadtestCommand(CLI::App& command) {
  auto o = std::make_shared<LoadtestOptions>();
  command.add_option("--url", o->url, "gateway base URL (default: this config's gateway)");
  command.add_option("--property", o->property_id, "property to book (default: a new one)");
  command.add_option("--inventory", o->inventory, "seed the property with this many units first");
  command.add_option("--requests", o->requests, "requests to send, duplicates included")
      ->capture_default_str();
  command.add_option("--concurrency", o->concurrency, "connections, all released at once")
      ->capture_default_str();
  command
      .add_option("--duplicates", o->duplicates, "fraction re-sent with the same Idempotency-Key")
      ->capture_default_str();
  command.add_option("--rate", o->rate, "open loop: requests per second in total (0: closed loop)");
  command.add_option("--timeout", o->timeout_s, "seconds to wait for every booking to finish")
      ->capture_default_str();
  command.add_flag("--json", o->json, "print the report as JSON");
  return [o](const RoleContext& context) { return RunLoadtest(context, *o); };
}

}  // namespace wanderluxe
