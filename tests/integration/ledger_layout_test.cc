// The ledger's collection layout is recorded in the database at first use
// (issue 14): a writer configured with another mongo.ledger_shards would look
// for every booking in the wrong collection, hiding it and breaking
// idempotency by bookingId, so it must refuse to start.
#include <doctest/doctest.h>

#include "adapters/mongo/mongo_ledger.h"
#include "roles/common/saga_wiring.h"
#include "support/servers.h"

namespace wanderluxe {
namespace {

TEST_SUITE("integration.ledger") {
  TEST_CASE("a ledger created with 8 shards refuses a writer configured with 4") {
    const std::string db = testing::UniqueName("layout");
    MetricsRegistry metrics;
    Config eight = testing::LiveConfig({"mongo.database=" + db, "mongo.ledger_shards=8"});
    auto first = WireSaga(eight, metrics);
    REQUIRE_MESSAGE(first.ok(), first.status().ToString());
    BookingRecord r;
    r.request = {"b-layout", "p-layout", "", {1000, "USD"}, "", ""};
    r.fingerprint = r.request.Fingerprint();
    r.status = BookingStatus::kSoldOut;
    r.payment_status = PaymentStatus::kNotAttempted;
    REQUIRE((*first)->ledger->Insert(r).ok());

    auto again = WireSaga(eight, metrics);
    CHECK_MESSAGE(again.ok(), "the same layout starts: ", again.status().ToString());

    Config four = testing::LiveConfig({"mongo.database=" + db, "mongo.ledger_shards=4"});
    auto other = WireSaga(four, metrics);
    CHECK_MESSAGE(!other.ok(), "a writer with 4 shards started on a ledger of 8");
    if (!other.ok()) {
      MESSAGE(other.status().ToString());
      CHECK(other.status().code() == StatusCode::kFailedPrecondition);
      CHECK(other.status().message().find("ledger_shards=8") != std::string::npos);
    }
    CHECK((*first)->ledger->DropAll().ok());
  }
}

}  // namespace
}  // namespace wanderluxe
