// The real BookingProcessor (poll thread, queue, batches, lanes, epochs) over
// the fake consumer (librdkafka 2.0.2's pause and rebalance semantics) and
// the saga's fakes: rebalances at the moments that lost bookings, driven by
// the test, with no server.
#include <doctest/doctest.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "fakes/fake_consumer.h"
#include "fakes/fake_ports.h"
#include "fakes/fast_saga_options.h"
#include "roles/processor/booking_processor.h"
#include "support/child_process.h"
#include "wanderluxe/ids.h"

namespace wanderluxe {
namespace {

using fakes::FakeConsumer;
using fakes::Faults;
using std::chrono::milliseconds;
using testing::WaitUntil;

constexpr milliseconds kWait{10'000};

// Closed until opened; every wait returns once it is open.
class Gate {
 public:
  void Open() {
    std::lock_guard lock(mu_);
    open_ = true;
    cv_.notify_all();
  }
  void Wait() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return open_; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
};

// A bank whose charges wait for the gate: a slow bank that keeps the worker
// (and so the queue) busy for as long as the test wants.
class GatedBank final : public fakes::FakeBank {
 public:
  using FakeBank::FakeBank;
  ChargeResult Charge(const std::string& key, const Money& amount,
                      std::chrono::milliseconds timeout) override {
    gate.Wait();
    return FakeBank::Charge(key, amount, timeout);
  }
  Gate gate;
};

// A ledger that can hold a batch inside its first read or its first bulk
// insert, and that notes a booking read by a batch while another batch's
// read of it is still under way (kNotTwiceInFlight, seen from the ports).
class GatedLedger final : public fakes::FakeLedger {
 public:
  using FakeLedger::FakeLedger;
  Result<std::map<std::string, BookingRecord>> GetMany(
      const std::vector<std::string>& ids) override {
    bool hold = false;
    {
      std::lock_guard lock(mu_);
      for (const auto& id : ids) {
        if (reading_[id]++ > 0) ++read_twice_in_flight;
      }
      hold = hold_first_read && reads_++ == 0;
    }
    if (hold) {
      first_read_held = true;
      read_gate.Wait();
    }
    auto found = FakeLedger::GetMany(ids);
    std::lock_guard lock(mu_);
    for (const auto& id : ids) --reading_[id];
    return found;
  }
  Result<std::vector<InsertOutcome>> InsertMany(const std::vector<BookingRecord>& rs) override {
    bool hold = false;
    {
      std::lock_guard lock(mu_);
      hold = hold_first_insert && inserts_++ == 0;
    }
    if (hold) {
      first_insert_held = true;
      insert_gate.Wait();
    }
    return FakeLedger::InsertMany(rs);
  }

  bool hold_first_read = false;
  bool hold_first_insert = false;
  std::atomic<bool> first_read_held{false};
  std::atomic<bool> first_insert_held{false};
  Gate read_gate, insert_gate;
  std::atomic<int> read_twice_in_flight{0};

 private:
  std::mutex mu_;
  std::map<std::string, int> reading_;
  int reads_ = 0;
  int inserts_ = 0;
};

struct ProcessorHarness {
  Faults faults;
  fakes::FakeInventory inventory{faults};
  GatedLedger ledger{faults};
  GatedBank bank{faults};
  fakes::FakeProducer producer{faults};
  MetricsRegistry metrics;
  BookingSaga saga{fakes::FastSagaOptions(), inventory, ledger, bank, producer, metrics};
  FakeConsumer consumer;
  const TopicPartition tp{"requests", 0};
  std::unique_ptr<BookingProcessor> processor;
  std::atomic<bool> stop{false};
  std::thread poll;

  struct Knobs {
    int workers = 1;
    size_t queue_capacity = 1000;
    size_t queue_low_water = 0;
    milliseconds drain_timeout{5000};
    size_t batch_max = 2;
    milliseconds batch_linger{1};
  };

  explicit ProcessorHarness(Knobs k, int64_t units) {
    inventory.Set("p", units);
    consumer.CreateTopic(tp.topic, 1);
    processor = std::make_unique<BookingProcessor>(
        ProcessorOptions{tp.topic, "dlq", k.workers, k.queue_capacity, k.queue_low_water,
                         milliseconds(10), k.drain_timeout, k.batch_max, k.batch_linger},
        saga, producer, metrics);
    consumer.SetListener(processor.get());
    processor->Attach(&consumer);
  }
  ~ProcessorHarness() { Stop(); }

  int64_t Produce(const std::string& booking_id, int64_t minor = 1000) {
    BookingEvent e;
    e.event_id = NewUuid();
    e.timestamp = NowIso8601();
    e.request = {booking_id, "p", "", {minor, "USD"}, "", ""};
    return consumer.Produce(tp.topic, tp.partition, "p", EncodeBookingEvent(e));
  }
  void Start() {
    REQUIRE(consumer.Subscribe({tp.topic}).ok());
    poll = std::thread([this] { processor->Run(stop); });
  }
  void Stop() {
    bank.gate.Open();
    ledger.read_gate.Open();
    ledger.insert_gate.Open();
    consumer.HoldJoin(false);
    stop = true;
    if (poll.joinable()) poll.join();
    consumer.Close();
  }
  // Polls the poll thread began from now on: two mean one whole loop
  // (dispatch, backpressure, commit) ran after the call.
  void WaitForPollLoops(int loops) {
    const int from = consumer.Polls();
    REQUIRE(WaitUntil([&] { return consumer.Polls() >= from + loops + 1; }, kWait));
  }
  int64_t Count(BookingStatus status) {
    auto counts = ledger.CountByStatus("p");
    return counts.ok() ? (*counts)[status] : -1;
  }
  std::optional<BookingRecord> Record(const std::string& id) {
    auto r = ledger.Get(id);
    return r.ok() ? *r : std::nullopt;
  }
};

TEST_SUITE("unit.processor") {
  // Defect 9, the schedule that froze a sale: the queue fills and the
  // partition is paused; an eager rebalance revokes it while paused; the
  // queue drains with nothing assigned, so the processor stops asking for a
  // pause; the same partition comes back. librdkafka kept its pause flag, so
  // only the processor's kPauseFollowsQueue (resume what it owns after every
  // assignment change) gets it read again.
  TEST_CASE("a partition paused for backpressure, revoked and assigned again is read again") {
    constexpr int kEvents = 12;
    ProcessorHarness h({.workers = 1, .queue_capacity = 4, .queue_low_water = 0, .batch_max = 2},
                       kEvents);
    for (int i = 0; i < kEvents; ++i) h.Produce("b" + std::to_string(i));
    h.Start();
    REQUIRE_MESSAGE(WaitUntil([&] { return h.consumer.AppPaused(h.tp); }, kWait),
                    "the queue never filled");

    h.consumer.HoldJoin(true);
    h.consumer.Rebalance({h.tp});
    REQUIRE(WaitUntil([&] { return h.consumer.RevokesStarted() == 1; }, kWait));
    h.bank.gate.Open();  // the running saga ends inside the revoke; queued work is dropped
    REQUIRE(WaitUntil(
        [&] { return h.consumer.Assignment().empty() && h.processor->queue_depth() == 0; }, kWait));
    h.WaitForPollLoops(2);  // the drained queue seen with nothing owned: no pause asked for
    CHECK_MESSAGE(h.consumer.AppPaused(h.tp), "the fake must keep the flag across the revoke");

    h.consumer.HoldJoin(false);  // the same partition, to the same member
    CHECK_MESSAGE(WaitUntil([&] { return h.Count(BookingStatus::kConfirmed) == kEvents; }, kWait),
                  "confirmed ", h.Count(BookingStatus::kConfirmed), " of ", kEvents,
                  " after the rebalance (paused: ", h.consumer.AppPaused(h.tp), ")");
    CHECK_MESSAGE(WaitUntil([&] { return h.consumer.Committed(h.tp) == kEvents; }, kWait),
                  "committed ", h.consumer.Committed(h.tp), " of ", kEvents);
    CHECK(h.bank.Captured() == kEvents);
  }

  // Defect 6, first half. A batch whose Record fails hands its events over
  // undecided (the one-by-one way): the booking has no record yet. The next
  // batch, queued ahead of them, must not decide a later event of that
  // booking: the partition ordered the first one first.
  TEST_CASE(
      "a later batch does not decide a booking whose earlier event waits after a failed "
      "Record") {
    // Batches of one event (the fake bulk insert, no stronger than FerretDB's,
    // lets the first half of a failing batch in; one event: nothing goes in).
    ProcessorHarness h({.workers = 1, .batch_max = 1, .batch_linger = milliseconds(60'000)}, 10);
    h.bank.gate.Open();
    h.ledger.hold_first_insert = true;
    h.faults.FailNextWith("insert-many", 3, StatusCode::kInternal);  // saga.max_attempts
    h.Produce("x", 1000);
    h.Produce("y");
    h.Produce("x", 2000);  // the same booking, another payload: it must be REJECTED
    h.Produce("z");
    h.Start();
    REQUIRE(WaitUntil([&] { return h.ledger.first_insert_held.load(); }, kWait));
    REQUIRE(WaitUntil([&] { return h.consumer.Deliveries(h.tp, 3) == 1; }, kWait));
    h.WaitForPollLoops(1);  // all four dispatched: y's batch is queued, x's later one follows
    h.ledger.insert_gate.Open();

    REQUIRE(WaitUntil([&] { return h.consumer.Committed(h.tp) == 4; }, kWait));
    auto x = h.Record("x");
    REQUIRE(x.has_value());
    CHECK_MESSAGE(x->request.amount.minor_units == 1000,
                  "kOneBookingAtATime: x was decided by its later event (amount ",
                  x->request.amount.minor_units, ")");
    CHECK(x->status == BookingStatus::kConfirmed);
    CHECK(h.Count(BookingStatus::kConfirmed) == 3);
    CHECK(h.bank.Captured() == 3);
  }

  // Defect 6, second half. An eager re-assignment of a partition to the same
  // member gives it fresh state while a batch of the old assignment, past
  // drain_timeout, still decides: the new assignment's batch must not read
  // or reserve the bookings the old one holds.
  TEST_CASE(
      "after an eager re-assignment, a batch of the old assignment still deciding is not "
      "decided beside") {
    ProcessorHarness h({.workers = 2, .drain_timeout = milliseconds(50), .batch_max = 1}, 1);
    h.bank.gate.Open();
    h.ledger.hold_first_read = true;
    h.Produce("x");
    h.Start();
    REQUIRE(WaitUntil([&] { return h.ledger.first_read_held.load(); }, kWait));
    h.consumer.Rebalance({h.tp});  // the revoke gives up on the held batch after drain_timeout
    Counter* batches = h.metrics.GetCounter("processor_batches_total", "");
    REQUIRE(WaitUntil([&] { return h.consumer.Deliveries(h.tp, 0) == 2; }, kWait));
    REQUIRE(WaitUntil([&] { return batches->value() >= 2; }, kWait));
    // Time for the new batch to go as far as it would.
    (void)WaitUntil([&] { return h.Count(BookingStatus::kConfirmed) == 1; }, milliseconds(1000));
    h.ledger.read_gate.Open();

    REQUIRE(WaitUntil([&] { return h.consumer.Committed(h.tp) == 1; }, kWait));
    CHECK_MESSAGE(h.ledger.read_twice_in_flight.load() == 0,
                  "kNotTwiceInFlight: x read by the new assignment's batch while the old "
                  "assignment's batch still decided it");
    CHECK(h.Count(BookingStatus::kConfirmed) == 1);
    CHECK(h.bank.Captured() == 1);
    auto levels = h.inventory.Levels("p");
    REQUIRE(levels.ok());
    CHECK(levels->held == 0);
    CHECK(levels->sold == 1);
  }
}

}  // namespace
}  // namespace wanderluxe
