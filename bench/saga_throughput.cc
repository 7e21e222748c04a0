// Sagas per second, against the live stack (scripts/stack up), in two ways:
//
//   --mode processor  the BookingProcessor (poll thread, bounded queue, worker
//                     pool, watermark commits) consuming N pre-produced events
//   --mode ceiling    the same saga calls (ledger, Redis scripts, bank, outcome
//                     publish) from --workers threads in a plain loop: no
//                     consumer, no queue, no commits
//   --mode batch-ceiling  the processor's batch calls in a plain loop: events
//                     in chunks of processor.batch_max, each admitted by
//                     BatchAdmission (one bulk read, one reserve script call,
//                     one bulk insert), its sold-out outcomes produced at once
//                     and awaited together, its held bookings driven; chunks
//                     from --workers threads (one per partition, as the
//                     processor runs one batch per partition at a time)
//
// By default every booking holds a unit (the property is seeded with N), so
// every saga takes the full path: look up, reserve, insert, charge, confirm,
// CONFIRMED, outcome. --units seeds fewer: the rest are SOLD_OUT (a flash sale). Each run has its
// own topics, database and property. Prints one JSON line; bench/processor.sh runs the matrix and
// takes medians.
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <unistd.h>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>

#include "adapters/kafka/kafka_admin.h"
#include "adapters/kafka/kafka_consumer.h"
#include "adapters/kafka/kafka_producer.h"
#include "roles/common/saga_wiring.h"
#include "roles/processor/booking_processor.h"
#include "wanderluxe/batch_admission.h"
#include "wanderluxe/ids.h"
#include "wanderluxe/mutex.h"

namespace wanderluxe {
namespace {

using Clock = std::chrono::steady_clock;

struct BenchOptions {
  std::string config_path = "config/wanderluxe.yaml";
  std::string mode = "processor";
  int64_t bookings = 10'000;
  int64_t workers = 1000;
  int64_t latency_ms = 2000;
  int64_t units = 0;  // 0: one per booking
  std::vector<std::string> sets;
};

struct Run {
  std::string name;
  Config config;
  std::string property;
};

Run MakeRun(const BenchOptions& o) {
  Run run;
  run.name =
      "bench-" + std::to_string(getpid()) + "-" +
      std::to_string(std::chrono::system_clock::now().time_since_epoch().count() % 1'000'000'000);
  // The run's own names and sizes first; --set overrides come last and win.
  std::vector<std::string> sets = {
      "kafka.requests_topic=" + run.name + ".requests",
      "kafka.outcomes_topic=" + run.name + ".outcomes",
      "kafka.dlq_topic=" + run.name + ".dlq",
      "processor.group_id=" + run.name,
      "mongo.database=" + run.name,
      "bank.mode=simulated",
      "bank.latency_ms=" + std::to_string(o.latency_ms),
      "processor.workers=" + std::to_string(o.workers),
      "redis.pool_size=" + std::to_string(std::min<int64_t>(o.workers, 256)),
      "mongo.pool_max=" + std::to_string(std::min<int64_t>(o.workers, 128))};
  sets.insert(sets.end(), o.sets.begin(), o.sets.end());
  auto config = LoadConfig({o.config_path, WanderluxeEnvironment(), sets});
  if (!config.ok()) {
    std::fprintf(stderr, "%s\n", config.status().ToString().c_str());
    std::exit(2);
  }
  run.config = *config;
  run.property = run.name + "-prop";
  return run;
}

std::vector<BookingEvent> MakeEvents(const Run& run, int64_t n) {
  std::vector<BookingEvent> events(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    BookingEvent& e = events[static_cast<size_t>(i)];
    e.event_id = NewUuid();
    e.timestamp = NowIso8601();
    e.request = {
        run.name + "-b" + std::to_string(i), run.property, "bench-user", {500000, "USD"}, "", ""};
  }
  return events;
}

// Runs `body(i)` for i in [0, n) from `threads` threads; returns the seconds taken.
template <typename Body>
double Parallel(int64_t n, int64_t threads, Body body) {
  std::atomic<int64_t> next{0};
  const auto start = Clock::now();
  std::vector<std::thread> pool;
  for (int64_t t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      for (int64_t i; (i = next.fetch_add(1)) < n;) body(i);
    });
  }
  for (auto& t : pool) t.join();
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Sagas finished with `status` so far, from the saga's own counters.
int64_t Outcomes(MetricsRegistry& metrics, const std::string& status) {
  return metrics.GetCounter("saga_outcomes_total", "", "status=\"" + status + "\"")->value();
}

// The batch path's calls in a plain loop: `threads` threads each admitting
// chunks of `batch_max` events, then producing the chunk's sold-out outcomes
// without waiting one by one, awaiting them together, and driving its held
// bookings. Returns the seconds taken; `failed` counts what did not finish.
double BatchCeiling(BookingSaga& saga, const std::vector<BookingEvent>& events, size_t batch_max,
                    int64_t threads, std::atomic<int64_t>& failed) {
  const int64_t chunks = static_cast<int64_t>((events.size() + batch_max - 1) / batch_max);
  std::atomic<bool> stop{false};
  return Parallel(chunks, threads, [&](int64_t c) {
    const size_t from = static_cast<size_t>(c) * batch_max;
    const size_t to = std::min(events.size(), from + batch_max);
    std::vector<BookingEvent> chunk(events.begin() + static_cast<std::ptrdiff_t>(from),
                                    events.begin() + static_cast<std::ptrdiff_t>(to));
    BatchAdmission batches(saga);
    // The processor's two phases, back to back.
    auto decided = batches.Decide(chunk, {}, stop);
    auto admitted = decided.ok() ? batches.Record(chunk, std::move(*decided), stop)
                                 : Result<std::vector<Admission>>(decided.status());
    if (!admitted.ok()) {
      failed.fetch_add(static_cast<int64_t>(chunk.size()));
      return;
    }
    Mutex mu;
    CondVar acked(&mu);
    int64_t waiting = 0;
    for (auto& a : *admitted) {
      if (a.next != Admission::Next::kPublish) continue;
      {
        MutexLock lock(&mu);
        ++waiting;
      }
      saga.PublishOutcomeAsync(std::move(a.outcome), [&](Status s) {
        if (s.ok()) saga.CountOutcome(BookingStatus::kSoldOut);
        if (!s.ok()) failed.fetch_add(1);
        MutexLock lock(&mu);
        --waiting;
        acked.SignalAll();
      });
    }
    for (auto& a : *admitted) {
      if (a.next == Admission::Next::kDriveAdmitted) {
        if (!saga.DriveAdmitted(a.record, a.driver, "", stop).ok()) failed.fetch_add(1);
      } else if (a.next == Admission::Next::kDriveEvent) {
        failed.fetch_add(1);  // a fresh run has none
      }
    }
    MutexLock lock(&mu);
    acked.WaitFor(std::chrono::seconds(60), [&]() REQUIRES(mu) { return waiting == 0; });
  });
}

int64_t Terminal(MetricsRegistry& metrics) {
  return Outcomes(metrics, "CONFIRMED") + Outcomes(metrics, "SOLD_OUT") +
         Outcomes(metrics, "FAILED_PAYMENT");
}

// Seconds from `start` at which the terminal count first reached each of
// 10 %, 90 % and 100 % of n (the steady rate is taken between 10 % and 90 %,
// leaving out the pipeline's fill and drain).
struct Timeline {
  double t10 = 0, t90 = 0, t100 = 0;
  bool complete = false;
};

Timeline Watch(MetricsRegistry& metrics, int64_t n, Clock::time_point start,
               std::chrono::seconds bound) {
  Timeline t;
  while (Clock::now() - start < bound) {
    const int64_t done = Terminal(metrics);
    const double now = std::chrono::duration<double>(Clock::now() - start).count();
    if (t.t10 == 0 && done * 10 >= n) t.t10 = now;
    if (t.t90 == 0 && done * 10 >= n * 9) t.t90 = now;
    if (done >= n) {
      t.t100 = now;
      t.complete = true;
      return t;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return t;
}

int Fail(const std::string& what, const Status& s) {
  std::fprintf(stderr, "bench: %s: %s\n", what.c_str(), s.ToString().c_str());
  return 1;
}

int Main(const BenchOptions& o) {
  Run run = MakeRun(o);
  const Config& c = run.config;
  MetricsRegistry metrics;
  auto topics = EnsureTopics(
      c.kafka,
      {{c.kafka.requests_topic, 6, 1}, {c.kafka.outcomes_topic, 6, 1}, {c.kafka.dlq_topic, 1, 1}});
  if (!topics.ok()) return Fail("topics (is scripts/stack up?)", topics.status());
  auto wiring = WireSaga(c, metrics);
  if (!wiring.ok()) return Fail("wiring", wiring.status());
  SagaWiring& w = **wiring;
  if (Status s = w.mongo->Ping(); !s.ok()) return Fail("FerretDB", s);
  const int64_t units = o.units > 0 ? std::min(o.units, o.bookings) : o.bookings;
  if (auto seeded = w.inventory->Seed(run.property, units, true); !seeded.ok()) {
    return Fail("seed", seeded.status());
  }
  std::vector<BookingEvent> events = MakeEvents(run, o.bookings);

  nlohmann::json out = {{"mode", o.mode},       {"bookings", o.bookings},
                        {"workers", o.workers}, {"latency_ms", o.latency_ms},
                        {"units", units},       {"batch_max", c.processor.batch_max},
                        {"run", run.name}};
  const MongoOperationCounts before = w.mongo->operation_counts();
  const auto bound = std::chrono::seconds(600);
  if (o.mode == "ceiling") {
    std::atomic<bool> stop{false};
    std::atomic<int64_t> failed{0};
    const double elapsed = Parallel(o.bookings, o.workers, [&](int64_t i) {
      if (!w.saga->DriveEvent(events[static_cast<size_t>(i)], stop).ok()) failed.fetch_add(1);
    });
    out["elapsed_s"] = elapsed;
    out["sagas_per_s"] = static_cast<double>(o.bookings) / elapsed;
    out["failed"] = failed.load();
  } else if (o.mode == "batch-ceiling") {
    std::atomic<int64_t> failed{0};
    const double elapsed = BatchCeiling(*w.saga, events, static_cast<size_t>(c.processor.batch_max),
                                        o.workers, failed);
    out["elapsed_s"] = elapsed;
    out["sagas_per_s"] = static_cast<double>(o.bookings) / elapsed;
    out["failed"] = failed.load();
  } else {
    // Produce first, so the processor is measured alone.
    auto producer = KafkaProducer::Create(c.kafka);
    if (!producer.ok()) return Fail("producer", producer.status());
    std::atomic<int64_t> unpublished{0};
    const double produce_s = Parallel(o.bookings, 64, [&](int64_t i) {
      const BookingEvent& e = events[static_cast<size_t>(i)];
      OutgoingEvent msg{c.kafka.requests_topic, e.request.property_id, EncodeBookingEvent(e), {}};
      if (!(*producer)->Publish(msg, std::chrono::seconds(10)).ok()) unpublished.fetch_add(1);
    });
    if (unpublished > 0)
      return Fail("produce",
                  Status::Unavailable(std::to_string(unpublished.load()) + " unpublished"));
    out["produce_s"] = produce_s;

    const ProcessorConfig& p = c.processor;
    const size_t capacity = static_cast<size_t>(std::max<int64_t>(p.queue_capacity, 2 * o.workers));
    ProcessorOptions options{c.kafka.requests_topic,
                             c.kafka.dlq_topic,
                             static_cast<int>(o.workers),
                             capacity,
                             capacity / 2,
                             std::chrono::milliseconds(p.commit_interval_ms),
                             std::chrono::milliseconds(p.drain_timeout_ms),
                             static_cast<size_t>(p.batch_max),
                             std::chrono::milliseconds(p.batch_linger_ms)};
    BookingProcessor processor(options, *w.saga, *w.producer, metrics);
    auto consumer = KafkaConsumer::Create(c.kafka, c.processor.group_id, {}, &processor);
    if (!consumer.ok()) return Fail("consumer", consumer.status());
    processor.Attach(consumer->get());
    if (Status s = (*consumer)->Subscribe({c.kafka.requests_topic}); !s.ok())
      return Fail("subscribe", s);
    std::atomic<bool> stop{false};
    const auto start = Clock::now();
    std::thread poll([&] { processor.Run(stop); });
    const Timeline t = Watch(metrics, o.bookings, start, bound);
    stop = true;
    poll.join();
    (*consumer)->Close();
    if (!t.complete)
      return Fail("processor", Status::DeadlineExceeded("not every saga finished in 600 s"));
    out["elapsed_s"] = t.t100;
    out["sagas_per_s"] = static_cast<double>(o.bookings) / t.t100;
    out["steady_sagas_per_s"] = 0.8 * static_cast<double>(o.bookings) / (t.t90 - t.t10);
    if (o.latency_ms > 0)
      out["littles_law_bound"] =
          1000.0 * static_cast<double>(o.workers) / static_cast<double>(o.latency_ms);
  }
  if (Status s = w.ledger->WriteDownPending(); !s.ok()) return Fail("write-downs", s);
  const MongoOperationCounts after = w.mongo->operation_counts();
  const auto per_booking = [&](int64_t a, int64_t b) {
    return static_cast<double>(a - b) / static_cast<double>(o.bookings);
  };
  out["mongo_ops_per_booking"] = {
      {"total", per_booking(after.total(), before.total())},
      {"inserts", per_booking(after.inserts, before.inserts)},
      {"bulk_inserts", per_booking(after.bulk_inserts, before.bulk_inserts)},
      {"finds", per_booking(after.finds, before.finds)},
      {"updates", per_booking(after.updates, before.updates)},
      {"others", per_booking(after.others, before.others)}};
  const int64_t confirmed = Outcomes(metrics, "CONFIRMED");
  out["confirmed"] = confirmed;
  out["sold_out"] = Outcomes(metrics, "SOLD_OUT");
  (void)w.ledger->DropAll();  // keep the shared database small
  std::printf("%s\n", out.dump().c_str());
  return confirmed == units ? 0 : 1;
}

}  // namespace
}  // namespace wanderluxe

int main(int argc, char** argv) {
  wanderluxe::BenchOptions o;
  CLI::App app("Sagas per second: the processor against the same calls in a plain loop");
  app.add_option("--config", o.config_path, "YAML config (servers)");
  app.add_option("--mode", o.mode, "processor | ceiling | batch-ceiling")
      ->check(CLI::IsMember({"processor", "ceiling", "batch-ceiling"}));
  app.add_option("--units", o.units, "units seeded (default: one per booking)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--bookings", o.bookings, "bookings (the property holds this many units)")
      ->check(CLI::PositiveNumber);
  app.add_option("--workers", o.workers, "worker pool size (ceiling: threads)")
      ->check(CLI::PositiveNumber);
  app.add_option("--latency-ms", o.latency_ms, "simulated bank latency")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--set", o.sets, "section.key=value overrides");
  CLI11_PARSE(app, argc, argv);
  spdlog::set_level(spdlog::level::err);
  return wanderluxe::Main(o);
}
