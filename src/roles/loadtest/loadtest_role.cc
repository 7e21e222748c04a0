#include "roles/loadtest/loadtest_role.h"

#include <spdlog/spdlog.h>
#include <unistd.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "adapters/kafka/kafka_consumer.h"
#include "adapters/mongo/mongo_ledger.h"
#include "adapters/redis/redis_connect.h"
#include "adapters/redis/redis_inventory_store.h"

#include "roles/common/invariants.h"
#include "roles/loadtest/herd.h"
#include "roles/loadtest/herd_report.h"
#include "roles/loadtest/html_report.h"
#include "roles/loadtest/stock_sampler.h"
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
  int64_t audit_wait_s = 0;  // > 0: check I6 too, waiting this long for the audit
  bool json = false;
  std::string report;  // HTML page path; empty: none
};

void ShowProgress(int64_t done, int64_t total) {
  const int width = 40;
  const int filled = static_cast<int>(width * done / std::max<int64_t>(total, 1));
  std::fprintf(stderr, "\r  [%s%s] %lld/%lld", std::string(filled, '#').c_str(),
               std::string(width - filled, ' ').c_str(), static_cast<long long>(done),
               static_cast<long long>(total));
  if (done >= total) std::fprintf(stderr, "\n");
}

// What WaitForTerminal saw: each booking's terminal status and when the
// processor announced it (the outcome's Kafka timestamp), and the REJECTED
// outcomes (a reused bookingId: no booking of ours, but counted).
struct TerminalOutcomes {
  struct Finished {
    BookingStatus status = BookingStatus::kConfirmed;
    int64_t unix_ms = 0;
  };
  std::map<std::string, Finished> finished;           // bookingId -> its last outcome seen
  std::map<std::string, int64_t> waitlisted_unix_ms;  // bookingId -> when announced WAITLISTED
  std::vector<int64_t> rejected_unix_ms;
  double seconds_waited = 0;

  std::map<BookingStatus, int64_t> Counts() const {
    std::map<BookingStatus, int64_t> counts;
    for (const auto& [id, f] : finished) ++counts[f.status];
    counts[BookingStatus::kRejected] = static_cast<int64_t>(rejected_unix_ms.size());
    return counts;
  }
};

// Waits until every accepted booking of the property is terminal, or the
// timeout, by reading `booking.outcomes` (the processor announces each terminal
// booking there): polling the ledger would load it with scans while it works.
TerminalOutcomes WaitForTerminal(const Config& config, const std::string& property,
                                 const std::vector<std::string>& accepted,
                                 std::chrono::seconds timeout) {
  const auto start = Clock::now();
  TerminalOutcomes seen;
  auto consumer = KafkaConsumer::Create(config.kafka, "loadtest-" + NewUuid());
  if (!consumer.ok() || !(*consumer)->Subscribe({config.kafka.outcomes_topic}).ok()) {
    spdlog::error("loadtest: cannot read {}", config.kafka.outcomes_topic);
    return seen;
  }
  const std::set<std::string> wanted(accepted.begin(), accepted.end());
  while (seen.finished.size() < wanted.size() && Clock::now() - start < timeout) {
    auto polled = (*consumer)->Poll(std::chrono::milliseconds(200));
    if (!polled.ok() || !polled->has_value()) continue;
    json doc = json::parse((*polled)->value, nullptr, /*allow_exceptions=*/false);
    if (!doc.is_object() || !doc.contains("payload")) continue;
    const json& p = doc["payload"];
    if (p.value("propertyId", "") != property) continue;
    auto status = ParseBookingStatus(p.value("status", ""));
    if (!status) continue;
    if (*status == BookingStatus::kRejected) {
      seen.rejected_unix_ms.push_back((*polled)->timestamp_ms);
      continue;
    }
    const std::string id = p.value("bookingId", "");
    if (!wanted.count(id)) continue;
    if (!IsTerminal(*status)) {  // WAITLISTED: the terminal outcome follows
      seen.waitlisted_unix_ms.emplace(id, (*polled)->timestamp_ms);
      continue;
    }
    // The last outcome wins, as it always has here, with its own time.
    seen.finished[id] = {*status, (*polled)->timestamp_ms};
  }
  (*consumer)->Close();
  seen.seconds_waited = std::chrono::duration<double>(Clock::now() - start).count();
  return seen;
}

double MillisSince(Clock::time_point origin, Clock::time_point at) {
  return std::chrono::duration<double, std::milli>(at - origin).count();
}

std::string Text(double value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

// The run's records, bucketed and summarised: what --json prints and --report draws.
HerdReport MakeReport(const LoadtestOptions& o, const HerdResult& herd,
                      const TerminalOutcomes& terminal,
                      const std::vector<InvariantResult>& invariants,
                      const std::vector<StockReading>& stock, std::optional<int64_t> total) {
  HerdReport r;
  r.property = o.property_id;
  r.parameters = {
      {"gateway", o.url},
      {"property", o.property_id},
      {"units seeded", o.inventory >= 0 ? std::to_string(o.inventory) : "not by this run"},
      {"requests", std::to_string(o.requests)},
      {"connections", std::to_string(o.concurrency)},
      {"duplicates (fraction)", Text(o.duplicates)},
      {"rate (requests/s, 0 = closed loop)", Text(o.rate)},
      {"wait for terminal, s", std::to_string(o.timeout_s)},
      {"wait for the audit (I6), s",
       o.audit_wait_s > 0 ? std::to_string(o.audit_wait_s) : "not checked by this run"},
      {"started (UTC)", IsoFromUnixMillis(herd.start_unix_ms)}};
  r.requests = o.requests;
  r.duplicates_sent = herd.duplicates_sent;
  r.accepted = static_cast<int64_t>(herd.accepted_ids.size());
  r.herd_seconds = herd.seconds;
  r.drain_seconds = terminal.seconds_waited;
  r.http_statuses = herd.status_counts;
  for (const char* name : {"CONFIRMED", "SOLD_OUT", "FAILED_PAYMENT", "PARKED", "REJECTED"}) {
    r.outcomes[name] = 0;
  }
  std::vector<OutcomeAt> outcomes;
  std::vector<double> to_terminal;
  for (const auto& [id, f] : terminal.finished) {
    const double at = static_cast<double>(f.unix_ms - herd.start_unix_ms);
    const std::string status(BookingStatusName(f.status));
    outcomes.push_back({at, status});
    ++r.outcomes[status];
    auto accepted = herd.accepted_at_ms.find(id);
    if (accepted != herd.accepted_at_ms.end()) {
      to_terminal.push_back(std::max(0.0, at - accepted->second));
    }
  }
  for (int64_t unix_ms : terminal.rejected_unix_ms) {
    outcomes.push_back({static_cast<double>(unix_ms - herd.start_unix_ms), "REJECTED"});
    ++r.outcomes["REJECTED"];
  }
  std::sort(to_terminal.begin(), to_terminal.end());
  std::vector<double> waits;
  r.waited = static_cast<int64_t>(terminal.waitlisted_unix_ms.size());
  for (const auto& [id, since] : terminal.waitlisted_unix_ms) {
    auto f = terminal.finished.find(id);
    if (f == terminal.finished.end()) continue;
    waits.push_back(std::max<double>(0, static_cast<double>(f->second.unix_ms - since)));
    if (f->second.status == BookingStatus::kConfirmed) ++r.waited_confirmed;
  }
  std::sort(waits.begin(), waits.end());
  r.waitlist_wait = LatencySummary::Of(waits);
  r.all_latency = LatencySummary::Of(herd.latencies_ms);
  r.accepted_latency = LatencySummary::Of(herd.accepted_latencies_ms);
  r.accept_to_terminal = LatencySummary::Of(to_terminal);
  r.pass = true;
  for (const InvariantResult& i : invariants) {
    r.invariants.push_back({i.id, i.name, std::string(VerdictName(i.verdict)), i.details});
    r.pass = r.pass && i.verdict != InvariantResult::Verdict::kFail;
  }
  r.timeline = BuildTimeline(herd.records, outcomes);
  std::vector<StockSample> samples;
  for (const StockReading& s : stock) {
    samples.push_back({std::max(0.0, MillisSince(herd.start, s.at)), s.available, s.held, s.sold});
  }
  r.stock = ThinStock(samples, r.timeline.bucket_ms);
  r.total_units = total;
  return r;
}

Status WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) return Status::Internal("cannot write " + path);
  return Status::Ok();
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
  auto redis = ConnectRedis(config.redis);
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
  // The stock chart's readings: only for a report, so a plain run adds no load.
  std::unique_ptr<StockSampler> sampler;
  if (!o.report.empty()) {
    sampler = std::make_unique<StockSampler>(o.url, o.property_id);
    sampler->Start();
  }
  HerdResult result = RunHerd(herd);

  TerminalOutcomes terminal = WaitForTerminal(config, o.property_id, result.accepted_ids,
                                              std::chrono::seconds(o.timeout_s));
  std::vector<StockReading> stock;
  if (sampler) stock = sampler->Stop();
  RedisInventoryStore checked_inventory(**redis);
  MongoLedger checked_ledger(**mongo);
  InvariantChecker checker(config, **redis, **mongo, checked_inventory, checked_inventory,
                           checked_ledger, checked_ledger);
  VerifyScope scope{{o.property_id}, result.accepted_ids};
  scope.check_audit = false;  // checked below, once the audit has caught up
  std::vector<InvariantResult> invariants = checker.Check(scope);
  if (o.audit_wait_s > 0) {
    InvariantResult audit =
        checker.AwaitAudit({o.property_id}, std::chrono::seconds(o.audit_wait_s));
    const auto after = std::find_if(invariants.begin(), invariants.end(),
                                    [](const InvariantResult& i) { return i.id == "I7"; });
    invariants.insert(after, std::move(audit));
  }
  const HerdReport report =
      MakeReport(o, result, terminal, invariants, stock, sampler ? sampler->total() : std::nullopt);
  const bool ok = report.pass;

  if (!o.report.empty()) {
    Status written = WriteFile(o.report, RenderHerdReport(report));
    if (!written.ok()) {
      spdlog::error("loadtest --report: {}", written.ToString());
      return kExitFailure;
    }
    std::fprintf(stderr, "report: %s\n", o.report.c_str());
  }
  const int64_t accepted = report.accepted;
  const auto& lat = result.latencies_ms;
  auto outcomes = terminal.Counts();
  const double drain_s = terminal.seconds_waited;
  if (o.json) {
    std::printf("%s\n", HerdReportJson(report).dump(2).c_str());
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
        "PARKED %lld, REJECTED %lld\n",
        drain_s, static_cast<long long>(outcomes[BookingStatus::kConfirmed]),
        static_cast<long long>(outcomes[BookingStatus::kSoldOut]),
        static_cast<long long>(outcomes[BookingStatus::kFailedPayment]),
        static_cast<long long>(outcomes[BookingStatus::kParked]),
        static_cast<long long>(outcomes[BookingStatus::kRejected]));
    std::printf(
        "waitlist: %lld waited, %lld of them got a room; wait ms p50 %.0f  p99 "
        "%.0f\n\ninvariants:\n",
        static_cast<long long>(report.waited), static_cast<long long>(report.waited_confirmed),
        report.waitlist_wait.p50, report.waitlist_wait.p99);
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
  command
      .add_option("--audit-wait", o->audit_wait_s,
                  "also check I6 (every request event archived), waiting up to this many "
                  "seconds for the audit to catch up (0: left to `verify`)")
      ->capture_default_str();
  command.add_flag("--json", o->json, "print the report as JSON");
  command.add_option("--report", o->report,
                     "also write the run as one self-contained HTML page to this path");
  return [o](const RoleContext& context) { return RunLoadtest(context, *o); };
}

}  // namespace wanderluxe
