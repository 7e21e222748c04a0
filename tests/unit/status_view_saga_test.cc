// kViewBeforeOutcome over fakes: the saga stores a booking's status view
// before it publishes any outcome of it, retrying the store like a step, so a
// guest woken by an outcome never reads an older view.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "fakes/admit_batch.h"
#include "fakes/fake_ports.h"
#include "fakes/fast_saga_options.h"
#include "wanderluxe/batch_admission.h"
#include "wanderluxe/booking_saga.h"
#include "wanderluxe/ids.h"

namespace wanderluxe {
namespace {

using fakes::Faults;

// Records, at each publish, the view its booking had at that moment.
class ViewCheckingProducer final : public fakes::FakeProducer {
 public:
  ViewCheckingProducer(Faults& faults, StatusViews& views) : FakeProducer(faults), views_(views) {}
  Status Publish(const OutgoingEvent& e, std::chrono::milliseconds timeout) override {
    auto view = views_.Get(e.key);
    REQUIRE(view.ok());
    seen_at_publish.push_back(*view);
    return FakeProducer::Publish(e, timeout);
  }
  std::vector<std::optional<StatusView>> seen_at_publish;

 private:
  StatusViews& views_;
};

struct ViewFixture {
  Faults faults;
  Faults view_faults;  // apart, so a view's failures do not count as the saga's other calls
  fakes::FakeInventory inventory{faults};
  fakes::FakeLedger ledger{faults};
  fakes::FakeBank bank{faults};
  fakes::FakeStatusViews views{view_faults};
  ViewCheckingProducer producer{faults, views};
  MetricsRegistry metrics;
  std::atomic<bool> stop{false};
  BookingSaga saga{Options(), inventory, ledger, bank, producer, metrics};

  SagaOptions Options() {
    SagaOptions o = fakes::FastSagaOptions();
    o.status_views = &views;
    return o;
  }
  static BookingEvent Event(const std::string& id) {
    BookingEvent e;
    e.event_id = NewUuid();
    e.request = {id, "p", "", {1000, "USD"}, "", ""};
    return e;
  }
  StatusView View(const std::string& id) {
    auto v = views.Get(id);
    REQUIRE((v.ok() && v->has_value()));
    return **v;
  }
};

std::string StatusIn(const StatusView& view) {
  return nlohmann::json::parse(view.body).at("status").get<std::string>();
}

TEST_SUITE("unit.status_view") {
  TEST_CASE("a sold booking's outcome is published over its terminal view") {
    ViewFixture f;
    f.inventory.Set("p", 1);
    auto r = f.saga.DriveEvent(ViewFixture::Event("v-1"), f.stop);
    REQUIRE(r.ok());
    REQUIRE(r->status == BookingStatus::kConfirmed);
    REQUIRE(f.producer.seen_at_publish.size() == 1);
    REQUIRE(f.producer.seen_at_publish[0].has_value());
    const StatusView& at_publish = *f.producer.seen_at_publish[0];
    CHECK(at_publish.terminal);
    CHECK(StatusIn(at_publish) == "CONFIRMED");
    CHECK(at_publish.version == f.ledger.at("v-1").version);
  }

  TEST_CASE("a view store failing holds the outcome back until the view is in") {
    ViewFixture f;
    f.inventory.Set("p", 0);  // SOLD_OUT: the outcome is the only view
    f.view_faults.FailNext("view", 3);
    auto r = f.saga.DriveEvent(ViewFixture::Event("v-2"), f.stop);
    REQUIRE(r.ok());
    REQUIRE(f.producer.seen_at_publish.size() == 1);
    REQUIRE(f.producer.seen_at_publish[0].has_value());
    CHECK(StatusIn(*f.producer.seen_at_publish[0]) == "SOLD_OUT");
    CHECK(f.view_faults.log().size() >= 4);  // three failures, then the store
  }

  TEST_CASE("a failed progress view is not the drive's failure") {
    ViewFixture f;
    f.inventory.Set("p", 1);
    f.view_faults.FailNext("view", 1);  // the RESERVED view before the charge
    auto r = f.saga.DriveEvent(ViewFixture::Event("v-3"), f.stop);
    REQUIRE(r.ok());
    CHECK(r->status == BookingStatus::kConfirmed);
    CHECK(StatusIn(f.View("v-3")) == "CONFIRMED");
  }

  TEST_CASE("a batch's sold-out bookings have their views before Record returns") {
    ViewFixture f;
    f.inventory.Set("p", 1);
    BatchAdmission batches{f.saga};
    std::vector<BookingEvent> events = {ViewFixture::Event("v-4"), ViewFixture::Event("v-5"),
                                        ViewFixture::Event("v-6")};
    auto admitted = fakes::AdmitBatch(batches, events, f.stop);
    REQUIRE(admitted.ok());
    int published_here = 0;
    for (const Admission& a : *admitted) {
      if (a.next != Admission::Next::kPublish) continue;
      ++published_here;
      const StatusView view = f.View(a.record.request.booking_id);
      CHECK(view.terminal);
      CHECK(StatusIn(view) == "SOLD_OUT");
    }
    CHECK(published_here == 2);
  }

  TEST_CASE("views are monotonic: an older version never replaces a newer one") {
    Faults faults;
    fakes::FakeStatusViews views{faults};
    REQUIRE(views.Put({"m", 3, "", true, "{\"v\":3}"}).ok());
    REQUIRE(views.Put({"m", 2, "", false, "{\"v\":2}"}).ok());
    auto v = views.Get("m");
    REQUIRE((v.ok() && v->has_value()));
    CHECK((*v)->version == 3);
  }
}

}  // namespace
}  // namespace wanderluxe
