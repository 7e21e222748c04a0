// The ledger's document decoder: whatever a document holds, a bad one is an
// error value, never an exception thrown past the saga (issue 11, defect 5).
#include <doctest/doctest.h>

#include "adapters/mongo/mongo_ledger.h"

namespace wanderluxe {
namespace {

TEST_SUITE("unit.ledger_document") {
  TEST_CASE("a record survives the round trip through its document") {
    BookingRecord r;
    r.request = {"b-1", "p-1", "u-1", {500000, "USD"}, "2025-12-24", "2025-12-27"};
    r.fingerprint = r.request.Fingerprint();
    r.status = BookingStatus::kReserved;
    r.version = 3;
    r.audit_log = {{"RESERVED", "2025-12-16T10:00:00Z", "holding one unit"}};
    auto back = ParseBookingDocument(BookingDocument(r));
    REQUIRE(back.ok());
    CHECK(back->request == r.request);
    CHECK(back->status == BookingStatus::kReserved);
    CHECK(back->version == 3);
    CHECK(back->audit_log.size() == 1);
  }

  TEST_CASE("unreadable numbers and shapes are errors, not exceptions") {
    const char* bad[] = {
        R"({"_id":"b","propertyId":"p","status":"RESERVED","version":{"$numberLong":"abc"},)"
        R"("payment":{"amountMinor":1,"currency":"USD","status":"PENDING"}})",
        R"({"_id":"b","propertyId":"p","status":"RESERVED","version":{"$numberLong":"99999999999999999999999"},)"
        R"("payment":{"amountMinor":1,"currency":"USD","status":"PENDING"}})",
        R"({"_id":"b","propertyId":"p","status":"RESERVED","version":1,)"
        R"("payment":{"amountMinor":{"$numberInt":""},"currency":"USD","status":"PENDING"}})",
        R"({"_id":"b","propertyId":"p","status":"NOT_A_STATUS","version":1,)"
        R"("payment":{"amountMinor":1,"currency":"USD","status":"PENDING"}})",
        R"({"_id":7})",
        R"(not json)",
    };
    for (const char* text : bad) {
      const std::string doc = text;
      CAPTURE(doc);
      Result<BookingRecord> parsed = Status::Internal("not parsed");
      CHECK_NOTHROW(parsed = ParseBookingDocument(doc));
      CHECK_FALSE(parsed.ok());
    }
  }
}

}  // namespace
}  // namespace wanderluxe
