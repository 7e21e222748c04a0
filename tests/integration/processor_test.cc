// The processor in process against live Kafka, Redis and FerretDB: the flash
// sale (500 events for 5 units), a bank that declines everything, duplicate
// and conflicting deliveries, and poison.
#include <doctest/doctest.h>

#include <thread>

#include "adapters/bank/simulated_bank.h"
#include "adapters/kafka/kafka_admin.h"
#include "adapters/kafka/kafka_consumer.h"
#include "adapters/kafka/kafka_producer.h"
#include "adapters/mongo/mongo_ledger.h"
#include "adapters/redis/redis_inventory_store.h"
#include "roles/common/saga_wiring.h"
#include "roles/processor/booking_processor.h"
#include "support/child_process.h"
#include "support/forwarding_ledger.h"
#include "support/servers.h"
#include "wanderluxe/ids.h"

namespace wanderluxe {
namespace {

using std::chrono::seconds;

// The live ledger, with its first bulk read and first bulk insert (the
// processor's first batch) held back: the window in which a later batch could
// reserve ahead of it, or hand its events to the workers first.
class SlowFirstBatchLedger final : public testing::ForwardingLedger {
 public:
  SlowFirstBatchLedger(Ledger& inner, std::chrono::milliseconds delay)
      : ForwardingLedger(inner), delay_(delay) {}
  Result<std::map<std::string, BookingRecord>> GetMany(
      const std::vector<std::string>& ids) override {
    if (!read_.exchange(true)) std::this_thread::sleep_for(delay_);
    return ForwardingLedger::GetMany(ids);
  }
  Result<std::vector<InsertOutcome>> InsertMany(const std::vector<BookingRecord>& r) override {
    if (!inserted_.exchange(true)) std::this_thread::sleep_for(delay_);
    return ForwardingLedger::InsertMany(r);
  }

 private:
  const std::chrono::milliseconds delay_;
  std::atomic<bool> read_{false};
  std::atomic<bool> inserted_{false};
};

// A processor with its own topics, group and property, running in a thread.
class LiveProcessor {
 public:
  explicit LiveProcessor(std::vector<std::string> sets = {}) {
    sets.insert(sets.end(),
                {"kafka.requests_topic=" + requests_, "kafka.outcomes_topic=" + outcomes_,
                 "kafka.dlq_topic=" + dlq_, "processor.group_id=" + group_, "bank.mode=simulated",
                 "bank.latency_ms=5", "saga.payment_deadline_ms=300", "saga.retry_initial_ms=5",
                 "processor.workers=8",
                 // A database per test: FerretDB's updates scan the collection.
                 "mongo.database=" + database_});
    config_ = testing::LiveConfig(sets);
    auto created =
        EnsureTopics(config_.kafka, {{requests_, 3, 1}, {outcomes_, 3, 1}, {dlq_, 1, 1}});
    REQUIRE_MESSAGE(created.ok(), "Kafka: ", created.status().ToString(),
                    " -- start it with scripts/stack up");
    auto wiring = WireSaga(config_, metrics_);
    REQUIRE(wiring.ok());
    wiring_ = std::move(*wiring);
    REQUIRE_MESSAGE(wiring_->redis->Ping().ok(), "Redis down -- start it with scripts/stack up");
    REQUIRE_MESSAGE(wiring_->mongo->Ping().ok(), "FerretDB down -- start it with scripts/stack up");
    auto producer = KafkaProducer::Create(config_.kafka);
    REQUIRE(producer.ok());
    producer_ = std::move(*producer);
  }
  ~LiveProcessor() { Stop(); }

  // Before Start: the first batch's ledger read and insert each take `delay` longer.
  void SlowFirstBatch(std::chrono::milliseconds delay) {
    slow_ledger_ = std::make_unique<SlowFirstBatchLedger>(*wiring_->ledger, delay);
    slow_saga_ =
        std::make_unique<BookingSaga>(SagaOptions::From(config_), *wiring_->inventory,
                                      *slow_ledger_, *wiring_->bank, *wiring_->producer, metrics_);
  }
  void Start() {
    ProcessorOptions options = ProcessorOptions::From(config_);
    options.commit_interval = std::chrono::milliseconds(200);
    options.drain_timeout = std::chrono::milliseconds(10'000);
    BookingSaga& saga = slow_saga_ ? *slow_saga_ : *wiring_->saga;
    processor_ = std::make_unique<BookingProcessor>(options, saga, *wiring_->producer, metrics_);
    auto consumer = KafkaConsumer::Create(config_.kafka, group_, {}, processor_.get());
    REQUIRE(consumer.ok());
    consumer_ = std::move(*consumer);
    processor_->Attach(consumer_.get());
    REQUIRE(consumer_->Subscribe({requests_}).ok());
    poll_ = std::thread([this] { processor_->Run(stop_); });
  }
  void Stop() {
    if (!poll_.joinable()) return;
    stop_ = true;
    poll_.join();
    consumer_->Close();
  }

  void Seed(int64_t units) { REQUIRE(wiring_->inventory->Seed(property_, units, true).ok()); }
  void Send(const std::string& booking_id, int64_t minor = 500000) {
    BookingEvent e;
    e.event_id = NewUuid();
    e.timestamp = NowIso8601();
    e.request = {run_ + "-" + booking_id, property_, "", {minor, "USD"}, "", ""};
    SendRaw(property_, EncodeBookingEvent(e));
  }
  void SendRaw(const std::string& key, const std::string& value) {
    REQUIRE(producer_->Publish({requests_, key, value, {}}, seconds(10)).ok());
  }
  std::map<BookingStatus, int64_t> Counts() {
    auto counts = wiring_->ledger->CountByStatus(property_);
    if (!counts.ok())
      MESSAGE("ledger count failed (will poll again): ", counts.status().ToString());
    return counts.ok() ? *counts : std::map<BookingStatus, int64_t>{};
  }
  // Progress from the saga's own counters: polling the ledger would load FerretDB
  // (its counts scan the collection). The ledger is read once at the end.
  int64_t Terminal() {
    int64_t n = 0;
    for (const char* s : {"CONFIRMED", "SOLD_OUT", "FAILED_PAYMENT"}) {
      n += metrics_.GetCounter("saga_outcomes_total", "", std::string("status=\"") + s + "\"")
               ->value();
    }
    return n;
  }
  InventoryLevels Levels() { return wiring_->inventory->Levels(property_).value(); }
  std::optional<BookingRecord> Record(const std::string& booking_id) {
    auto found = wiring_->ledger->Get(run_ + "-" + booking_id);
    REQUIRE_MESSAGE(found.ok(), found.status().ToString());
    return *found;
  }
  std::optional<BookingStatus> StatusOf(const std::string& booking_id) {
    auto r = Record(booking_id);
    return r ? std::optional(r->status) : std::nullopt;
  }
  int64_t AmountOf(const std::string& booking_id) {
    auto r = Record(booking_id);
    return r ? r->request.amount.minor_units : -1;
  }
  int Captured() {
    int n = 0;
    for (const auto& [k, e] : static_cast<SimulatedBank&>(*wiring_->bank).book().All()) {
      n += e.state == ChargeState::kCaptured;
    }
    return n;
  }
  int64_t OnTopic(const std::string& topic) {
    return CountMessages(config_.kafka, topic, seconds(5)).value();
  }
  const std::string& dlq() const { return dlq_; }
  const std::string& outcomes() const { return outcomes_; }
  MetricsRegistry& metrics() { return metrics_; }

 private:
  std::string requests_ = testing::UniqueName("proc-requests");
  std::string outcomes_ = testing::UniqueName("proc-outcomes");
  std::string dlq_ = testing::UniqueName("proc-dlq");
  std::string group_ = testing::UniqueName("proc-group");
  std::string property_ = testing::UniqueName("prop");
  std::string run_ = testing::UniqueName("run");  // booking ids are unique per test
  std::string database_ = "t" + std::to_string(std::hash<std::string>{}(testing::UniqueName("db")));
  Config config_;
  MetricsRegistry metrics_;
  std::unique_ptr<SagaWiring> wiring_;
  std::unique_ptr<KafkaProducer> producer_;
  std::unique_ptr<SlowFirstBatchLedger> slow_ledger_;
  std::unique_ptr<BookingSaga> slow_saga_;
  std::unique_ptr<BookingProcessor> processor_;
  std::unique_ptr<KafkaConsumer> consumer_;
  std::atomic<bool> stop_{false};
  std::thread poll_;
};

TEST_SUITE("integration.processor") {
  TEST_CASE("500 events for 5 units: exactly 5 CONFIRMED, 495 SOLD_OUT, nothing held, 5 charges") {
    LiveProcessor p;
    p.Seed(5);
    for (int i = 0; i < 500; ++i) p.Send("b-" + std::to_string(i));
    p.Start();
    REQUIRE_MESSAGE(testing::WaitUntil([&] { return p.Terminal() >= 500; }, seconds(120)),
                    "terminal: ", p.Terminal());
    auto counts = p.Counts();
    CHECK(counts[BookingStatus::kConfirmed] == 5);
    CHECK(counts[BookingStatus::kSoldOut] == 495);
    const InventoryLevels levels = p.Levels();
    CHECK(levels.available == 0);
    CHECK(levels.held == 0);
    CHECK(levels.sold == 5);
    CHECK(p.Captured() == 5);
    CHECK(testing::WaitUntil([&] { return p.OnTopic(p.outcomes()) >= 500; }, seconds(30)));
  }

  TEST_CASE("a bank that declines everything: all FAILED_PAYMENT, inventory back to the seed") {
    LiveProcessor p({"bank.decline_pct=100"});
    p.Seed(5);
    for (int i = 0; i < 20; ++i) p.Send("b-" + std::to_string(i));
    p.Start();
    const bool all = testing::WaitUntil([&] { return p.Terminal() >= 20; }, seconds(60));
    auto counts = p.Counts();
    REQUIRE_MESSAGE(all, "pending ", counts[BookingStatus::kPending], " reserved ",
                    counts[BookingStatus::kReserved], " failed ",
                    counts[BookingStatus::kFailedPayment], " sold out ",
                    counts[BookingStatus::kSoldOut]);
    CHECK(counts[BookingStatus::kFailedPayment] + counts[BookingStatus::kSoldOut] == 20);
    CHECK(counts[BookingStatus::kFailedPayment] >= 5);
    CHECK(counts[BookingStatus::kConfirmed] == 0);
    CHECK(p.Levels().available == 5);
    CHECK(p.Levels().held == 0);
    CHECK(p.Captured() == 0);
  }

  TEST_CASE("the same event twice and the same id with another payload: one charge, one REJECTED") {
    LiveProcessor p;
    p.Seed(5);
    p.Send("b-dup");
    p.Send("b-dup");
    p.Send("b-dup", 999);  // different amount, same bookingId
    p.Start();
    REQUIRE(testing::WaitUntil([&] { return p.Terminal() >= 1; }, seconds(60)));
    auto* rejected = p.metrics().GetCounter("saga_rejected_total", "");
    CHECK(testing::WaitUntil([&] { return rejected->value() == 1; }, seconds(30)));
    CHECK(p.Captured() == 1);
    CHECK(p.Counts()[BookingStatus::kConfirmed] == 1);
    CHECK(p.Levels().sold == 1);
  }

  TEST_CASE("batches overlapping, the first held back: units to the first 5, repeats after") {
    // Small batches, so that many are in flight one after another and repeats
    // of a booking land in a later batch than its first event. The first
    // batch's read and insert are held back 1 s: a second batch reserving
    // during that read would take the units (kNotTwiceInFlight, one Decide
    // at a time); one handing its events over during that insert would run a
    // repeat before the booking's first event was recorded (kHandOverInOrder).
    LiveProcessor p({"processor.batch_max=20", "saga.waitlist_per_unit=0"});
    p.Seed(5);
    std::vector<std::string> conflicting;
    for (int i = 0; i < 150; ++i) {
      p.Send("b-" + std::to_string(i));
      if (i >= 10 && i % 7 == 0) p.Send("b-" + std::to_string(i - 10));  // the same again
      if (i >= 15 && i % 11 == 0) {
        conflicting.push_back("b-" + std::to_string(i - 15));
        p.Send(conflicting.back(), 999);  // the same id, another amount
      }
    }
    p.SlowFirstBatch(std::chrono::milliseconds(1000));
    p.Start();
    REQUIRE_MESSAGE(testing::WaitUntil([&] { return p.Terminal() >= 150; }, seconds(120)),
                    "terminal: ", p.Terminal());
    auto* rejected = p.metrics().GetCounter("saga_rejected_total", "");
    CHECK(testing::WaitUntil(
        [&] { return rejected->value() == static_cast<int64_t>(conflicting.size()); },
        seconds(30)));
    for (int i = 0; i < 5; ++i) {
      CAPTURE(i);
      CHECK(p.StatusOf("b-" + std::to_string(i)) == BookingStatus::kConfirmed);
    }
    auto counts = p.Counts();
    CHECK(counts[BookingStatus::kConfirmed] == 5);
    CHECK(counts[BookingStatus::kSoldOut] == 145);
    CHECK(p.Captured() == 5);
    CHECK(p.Levels().sold == 5);
    CHECK(p.Levels().held == 0);
    for (const std::string& id : conflicting) {
      CAPTURE(id);
      CHECK(p.AmountOf(id) == 500000);  // the first payload, never the conflicting one
    }
  }

  TEST_CASE("a poison message goes to the DLQ and the next good one is processed") {
    LiveProcessor p;
    p.Seed(5);
    p.SendRaw("k", "this is not a booking event");
    p.Send("b-after-poison");
    p.Start();
    REQUIRE(testing::WaitUntil([&] { return p.Terminal() >= 1; }, seconds(60)));
    CHECK(p.Counts()[BookingStatus::kConfirmed] == 1);
    CHECK(testing::WaitUntil([&] { return p.OnTopic(p.dlq()) == 1; }, seconds(30)));
  }
}

}  // namespace
}  // namespace wanderluxe
