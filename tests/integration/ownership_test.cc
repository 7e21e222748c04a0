// Two drivers meeting on one booking, against live Redis, FerretDB and Kafka
// (issue 11): a worker and a reconciler, two workers with one bookingId for
// two properties, and a booking whose inventory key Redis cannot read. The
// bank is the in-process simulated bank behind a switch that makes it
// unreachable (an unanswered call, exactly what a timeout looks like).
#include <doctest/doctest.h>

#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include "adapters/bank/simulated_bank.h"
#include "adapters/kafka/kafka_admin.h"
#include "adapters/kafka/kafka_producer.h"
#include "adapters/mongo/mongo_ledger.h"
#include "adapters/redis/redis_client.h"
#include "adapters/redis/redis_inventory_store.h"
#include "support/child_process.h"
#include "support/forwarding_ledger.h"
#include "support/servers.h"
#include "wanderluxe/booking_saga.h"
#include "wanderluxe/ids.h"
#include "wanderluxe/reconciler.h"

namespace wanderluxe {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// The simulated bank with its network cut: while a direction is down, charges
// go unanswered and voids fail as unreachable. A down call also counts, so a
// test can wait until a driver is stuck in it.
class SwitchedBank final : public Bank {
 public:
  SwitchedBank() : inner_(Instant(), ChargeBook::Open("").value()) {}

  std::atomic<bool> charges_up{false};
  std::atomic<bool> voids_up{false};
  std::atomic<int> charges_refused{0};
  std::atomic<int> voids_refused{0};
  // While set, one void call waits here before it reaches the bank: a driver
  // paused between its check and its void.
  std::atomic<bool> hold_next_void{false};
  std::atomic<bool> release_held_void{false};
  std::atomic<bool> void_is_held{false};

  ChargeResult Charge(const std::string& key, const Money& amount, milliseconds timeout) override {
    if (!charges_up.load()) {
      ++charges_refused;
      return {ChargeOutcome::kUnknown, "", "bank unreachable"};
    }
    return inner_.Charge(key, amount, timeout);
  }
  Result<ChargeState> Void(const std::string& key, milliseconds timeout) override {
    if (hold_next_void.exchange(false)) {
      void_is_held = true;
      testing::WaitUntil([&] { return release_held_void.load(); }, seconds(60));
      void_is_held = false;
    }
    if (!voids_up.load()) {
      ++voids_refused;
      return Status::Unavailable("bank unreachable");
    }
    return inner_.Void(key, timeout);
  }
  ChargeState State(const std::string& key) {
    const std::optional<ChargeEntry> entry = inner_.book().Lookup(key);
    return entry ? entry->state : ChargeState::kNone;
  }

 private:
  static BankConfig Instant() {
    BankConfig c;
    c.latency_ms = 0;  // the network, not the bank, is what fails here
    return c;
  }
  SimulatedBank inner_;
};

// The live stores with a database, topics and properties of their own.
struct LiveStores {
  LiveStores() {
    config = testing::LiveConfig({"mongo.database=" + testing::UniqueName("owner"),
                                  "mongo.ledger_shards=4",
                                  "kafka.outcomes_topic=" + testing::UniqueName("owner-outcomes")});
    auto redis_client = RedisClient::Connect(config.redis);
    REQUIRE_MESSAGE(redis_client.ok(), "Redis down -- start it with scripts/stack up");
    redis = std::move(*redis_client);
    inventory = std::make_unique<RedisInventoryStore>(*redis);
    auto store = MongoStore::Connect(config.mongo);
    REQUIRE_MESSAGE(store.ok(), "FerretDB down -- start it with scripts/stack up");
    mongo = std::move(*store);
    ledger = std::make_unique<MongoLedger>(*mongo);
    REQUIRE_MESSAGE(EnsureTopics(config.kafka, {{config.kafka.outcomes_topic, 1, 1}}).ok(),
                    "Kafka down -- start it with scripts/stack up");
    auto kafka = KafkaProducer::Create(config.kafka);
    REQUIRE(kafka.ok());
    producer = std::move(*kafka);
  }
  ~LiveStores() { (void)ledger->DropAll(); }

  SagaOptions Options(milliseconds payment_deadline) const {
    SagaOptions o = SagaOptions::From(config);
    o.lease = milliseconds(3000);  // > 2 x the margin: one 200 ms bank call and 1 s of skew
    o.lease_margin = milliseconds(1200);
    o.retry = {milliseconds(10), milliseconds(50), 2, 0};
    o.payment_deadline = payment_deadline;
    o.bank_call_timeout = milliseconds(200);
    o.outcomes_topic = config.kafka.outcomes_topic;
    return o;
  }
  BookingEvent Event(const std::string& id, const std::string& property) const {
    BookingEvent e;
    e.event_id = NewUuid();
    e.timestamp = NowIso8601();
    e.request = {id, property, "", {120000, "USD"}, "", ""};
    return e;
  }
  BookingRecord Record(const std::string& id) {
    auto r = ledger->Get(id);
    REQUIRE((r.ok() && r->has_value()));
    return **r;
  }

  Config config;
  std::unique_ptr<RedisClient> redis;
  std::unique_ptr<RedisInventoryStore> inventory;
  std::unique_ptr<MongoStore> mongo;
  std::unique_ptr<MongoLedger> ledger;
  std::unique_ptr<KafkaProducer> producer;
  MetricsRegistry metrics;
};

// I3 for one booking: CONFIRMED exactly when its charge is captured and not voided.
void CheckChargeMatchesLedger(LiveStores& live, SwitchedBank& bank, const std::string& id) {
  const BookingRecord record = live.Record(id);
  const ChargeState charge = bank.State(id);
  MESSAGE("booking ", BookingStatusName(record.status), ", payment ",
          PaymentStatusName(record.payment_status), ", bank ", ChargeStateName(charge));
  if (record.status == BookingStatus::kConfirmed) {
    CHECK(charge == ChargeState::kCaptured);
  } else {
    CHECK(charge != ChargeState::kCaptured);
  }
}

// Defect 1's two actors on one booking of a one-unit property: a worker
// saga and a reconciler over their own saga, sharing the stores and the bank.
struct WorkerAndReconciler {
  explicit WorkerAndReconciler(const std::string& id_prefix) : id(testing::UniqueName(id_prefix)) {
    REQUIRE(live.inventory->Seed(property, 1, true).ok());
  }
  std::future<Result<SagaResult>> StartWorker() {
    return std::async(std::launch::async,
                      [this] { return worker.DriveEvent(live.Event(id, property), stop); });
  }
  // I3 for the booking, and no hold left or unit sold without a CONFIRMED.
  void CheckEnd() {
    CheckChargeMatchesLedger(live, bank, id);
    const InventoryLevels levels = live.inventory->Levels(property).value();
    CHECK(levels.held == 0);
    CHECK(levels.sold == (live.Record(id).status == BookingStatus::kConfirmed ? 1 : 0));
  }

  LiveStores live;
  SwitchedBank bank;
  const std::string property = testing::UniqueName("prop-owner");
  const std::string id;
  std::atomic<bool> stop{false};
  BookingSaga worker{live.Options(milliseconds(300)),
                     *live.inventory,
                     *live.ledger,
                     bank,
                     *live.producer,
                     live.metrics};
  BookingSaga reconciling{live.Options(milliseconds(300)),
                          *live.inventory,
                          *live.ledger,
                          bank,
                          *live.producer,
                          live.metrics};
  Reconciler reconciler{*live.ledger, reconciling, seconds(0)};
};

// A ledger whose inserts wait until `parties` callers reached them (bounded):
// two drivers that both looked the booking up before either recorded it.
class RendezvousLedger final : public testing::ForwardingLedger {
 public:
  RendezvousLedger(Ledger& inner, int parties) : ForwardingLedger(inner), parties_(parties) {}

  Status Insert(const BookingRecord& record) override {
    {
      std::unique_lock lock(mu_);
      ++arrived_;
      cv_.notify_all();
      cv_.wait_for(lock, seconds(20), [&] { return arrived_ >= parties_; });
    }
    return ForwardingLedger::Insert(record);
  }

 private:
  const int parties_;
  std::mutex mu_;
  std::condition_variable cv_;
  int arrived_ = 0;
};

TEST_SUITE("integration.ownership") {
  // Defect 1: the worker is stuck voiding after its payment deadline while the
  // bank is away; the reconciler resumes the same booking, the bank comes back
  // for its charge, and the worker's void then lands on that capture.
  TEST_CASE("a worker voiding and a reconciler: never CONFIRMED with a voided charge") {
    WorkerAndReconciler t("b-void");
    auto worker_done = t.StartWorker();
    REQUIRE_MESSAGE(
        testing::WaitUntil([&] { return t.bank.voids_refused.load() > 0; }, seconds(20)),
        "the worker never reached its void");
    t.bank.charges_up = true;  // the bank answers charges again; voids still fail
    auto pass = t.reconciler.RunOnce(t.stop);
    REQUIRE(pass.ok());
    CHECK(pass->owned_elsewhere == 1);  // the worker's lease is live: the reconciler leaves it
    t.bank.voids_up = true;
    REQUIRE(worker_done.wait_for(seconds(30)) == std::future_status::ready);
    auto worked = worker_done.get();
    CHECK_MESSAGE(worked.ok(), worked.status().ToString());
    t.CheckEnd();
  }

  // The same, with the worker paused between its decision and its void for
  // longer than its lease: the reconciler takes the booking over, and the
  // worker's late void must not undo what the new owner did.
  TEST_CASE("a worker paused before its void past its lease: the new owner decides, once") {
    WorkerAndReconciler t("b-paused");
    t.bank.hold_next_void = true;
    auto worker_done = t.StartWorker();
    REQUIRE_MESSAGE(testing::WaitUntil([&] { return t.bank.void_is_held.load(); }, seconds(20)),
                    "the worker never reached its void");
    t.bank.charges_up = true;
    t.bank.voids_up = true;
    // Long enough for any lease the worker took to lapse (tests use short ones).
    REQUIRE(testing::WaitUntil(
        [&] {
          auto pass = t.reconciler.RunOnce(t.stop);
          return pass.ok() && IsTerminal(t.live.Record(t.id).status);
        },
        seconds(30)));
    bool taken_over = false;
    for (const auto& e : t.live.Record(t.id).audit_log) taken_over |= e.action == "DRIVER";
    CHECK_MESSAGE(taken_over, "the reconciler finished the booking without taking its lease");
    t.bank.release_held_void = true;
    REQUIRE(worker_done.wait_for(seconds(30)) == std::future_status::ready);
    t.CheckEnd();
  }

  // Defect 4: one bookingId for two properties, both drivers past the lookup
  // before either inserts; the loser's hold on its own property must go back.
  TEST_CASE("one bookingId for two properties at once: the loser's hold is released") {
    LiveStores live;
    SwitchedBank bank;
    bank.charges_up = true;
    bank.voids_up = true;
    const std::string p1 = testing::UniqueName("prop-one");
    const std::string p2 = testing::UniqueName("prop-two");
    REQUIRE(live.inventory->Seed(p1, 2, true).ok());
    REQUIRE(live.inventory->Seed(p2, 2, true).ok());
    RendezvousLedger rendezvous(*live.ledger, 2);
    BookingSaga a(live.Options(seconds(5)), *live.inventory, rendezvous, bank, *live.producer,
                  live.metrics);
    BookingSaga b(live.Options(seconds(5)), *live.inventory, rendezvous, bank, *live.producer,
                  live.metrics);
    std::atomic<bool> stop{false};
    const std::string id = testing::UniqueName("b-reused");
    auto first =
        std::async(std::launch::async, [&] { return a.DriveEvent(live.Event(id, p1), stop); });
    auto second =
        std::async(std::launch::async, [&] { return b.DriveEvent(live.Event(id, p2), stop); });
    REQUIRE(first.wait_for(seconds(30)) == std::future_status::ready);
    REQUIRE(second.wait_for(seconds(30)) == std::future_status::ready);
    auto r1 = first.get();
    auto r2 = second.get();
    REQUIRE((r1.ok() && r2.ok()));
    CHECK((r1->verdict == SagaVerdict::kRejected) != (r2->verdict == SagaVerdict::kRejected));
    const BookingRecord record = live.Record(id);
    CHECK(record.status == BookingStatus::kConfirmed);
    const std::string loser = record.request.property_id == p1 ? p2 : p1;
    const InventoryLevels winner_levels =
        live.inventory->Levels(record.request.property_id).value();
    const InventoryLevels loser_levels = live.inventory->Levels(loser).value();
    CHECK(winner_levels.sold == 1);
    CHECK(winner_levels.held == 0);
    CHECK(loser_levels.held == 0);  // the leak
    CHECK(loser_levels.available == 2);
  }

  // Defect 5: an error retrying cannot fix (a wrong-type inventory key) must
  // end the saga after a bounded number of attempts, not pin it forever.
  TEST_CASE("a wrong-type inventory key: the saga gives up after bounded attempts") {
    LiveStores live;
    SwitchedBank bank;
    bank.charges_up = true;
    const std::string property = testing::UniqueName("prop-poison");
    REQUIRE(live.redis->Command({"HSET", "inventory:" + property, "not", "a counter"}).ok());
    BookingSaga saga(live.Options(seconds(5)), *live.inventory, *live.ledger, bank, *live.producer,
                     live.metrics);
    std::atomic<bool> stop{false};
    const std::string id = testing::UniqueName("b-poison");
    auto done = std::async(std::launch::async,
                           [&] { return saga.DriveEvent(live.Event(id, property), stop); });
    const bool returned = done.wait_for(seconds(15)) == std::future_status::ready;
    stop = true;  // the old behaviour: retried until shutdown
    auto result = done.get();
    CHECK_MESSAGE(returned, "the saga was still retrying a non-transient error after 15 s");
    REQUIRE_FALSE(result.ok());
    CHECK(result.status().code() == StatusCode::kInternal);
    (void)live.redis->Command({"DEL", "inventory:" + property});
  }
}

}  // namespace
}  // namespace wanderluxe
