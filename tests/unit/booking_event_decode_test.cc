// The event decoder accepts only what the gateway could have written, read as
// written: the cases fuzz/event_decoder_fuzzer.cc found it reading otherwise
// (issue 12).
#include <doctest/doctest.h>

#include <string>

#include "wanderluxe/booking_event.h"

namespace wanderluxe {
namespace {

// A valid event, with this schemaVersion and these further payload members.
std::string Event(const std::string& schema_version, const std::string& payload_extra,
                  const std::string& event_id = "e-1", const std::string& currency = "USD") {
  return R"({"eventId":")" + event_id + R"(","eventType":"BOOKING_INITIATED","schemaVersion":)" +
         schema_version +
         R"(,"payload":{"bookingId":"b-1","propertyId":"p-1","amount":5,"currency":")" + currency +
         "\"" + payload_extra + "}}";
}

bool IsPoison(const std::string& event) {
  return DecodeBookingEvent(event).status().code() == StatusCode::kInvalidArgument;
}

TEST_SUITE("unit.booking_event") {
  TEST_CASE("the events these cases vary decode as they stand") {
    CHECK_FALSE(IsPoison(Event("1", "")));
    CHECK_FALSE(IsPoison(Event("1", R"(,"amountMinor":500)")));
    CHECK_FALSE(IsPoison(Event("1", R"(,"userId":"user-98765")", "e-2", "JPY")));
    CHECK_FALSE(
        IsPoison(Event("1", R"(,"dates":{"checkIn":"2024-02-29","checkOut":"2024-03-01"})")));
  }

  TEST_CASE("a client's bookingId is scoped to it: <clientId>/<bookingId>, nothing else") {
    auto scoped = [](const std::string& client, const std::string& booking_id) {
      return R"({"eventId":"e-1","eventType":"BOOKING_INITIATED","schemaVersion":1,)"
             R"("payload":{"bookingId":")" +
             booking_id + R"(","propertyId":"p-1","amount":5,"currency":"USD"},)" +
             R"("metadata":{"clientId":")" + client + R"("}})";
    };
    auto decoded = DecodeBookingEvent(scoped("acme", "acme/b-1"));
    REQUIRE_MESSAGE(decoded.ok(), decoded.status().ToString());
    CHECK(decoded->request.booking_id == "acme/b-1");
    CHECK(decoded->metadata.client_id == "acme");
    CHECK_FALSE(IsPoison(scoped("acme", "b-1")));  // written before ids were scoped
    CHECK(IsPoison(scoped("other", "acme/b-1")));  // another client's scope
    CHECK(IsPoison(scoped("acme", "acme/")));
    CHECK(IsPoison(scoped("acme", "acme/a/b")));
    CHECK(IsPoison(scoped("ac/me", "ac/me/b-1")));  // no client id holds '/'
    CHECK(IsPoison(scoped("", "acme/b-1")));        // no client: no scope
  }

  TEST_CASE("schemaVersion is 1 as written, never a number that casts to 1") {
    // 1.5 truncates to 1; 2^32 + 1 and -(2^32 - 1) wrap to 1 in an int;
    // 1e300 does not fit an int at all (undefined behaviour under UBSan).
    for (const std::string version : {"1.5", "4294967297", "-4294967295", "1e300"}) {
      CHECK_MESSAGE(IsPoison(Event(version, "")), "schemaVersion " << version);
    }
  }

  TEST_CASE("amountMinor, when given, is the integer the amount says") {
    // 500.5 truncates to 500; 6.9e19 and 1e300 do not fit an int64_t.
    for (const std::string minor : {"500.5", "69223372036854775807", "1e300", "500.0"}) {
      CHECK_MESSAGE(IsPoison(Event("1", R"(,"amountMinor":)" + minor)), "amountMinor " << minor);
    }
  }

  TEST_CASE("dates are two calendar days, check-in first, or the event is poison") {
    // An empty checkIn beside a checkOut did not survive encode and decode.
    for (const std::string dates :
         {R"({"checkIn":"","checkOut":"2025-12-27"})", R"({"checkIn":"2025-12-24","checkOut":""})",
          R"({"checkIn":"banana","checkOut":"2025-12-27"})",
          R"({"checkIn":"2025-02-30","checkOut":"2025-03-02"})",
          R"({"checkIn":"2025-12-27","checkOut":"2025-12-24"})",
          R"({"checkIn":"2025-12-24","checkOut":"2025-12-24"})"}) {
      CHECK_MESSAGE(IsPoison(Event("1", R"(,"dates":)" + dates)), "dates " << dates);
    }
  }

  TEST_CASE("eventId, currency and userId are as the gateway writes them") {
    CHECK(IsPoison(Event("1", "", /*event_id=*/"")));
    for (const std::string currency : {"", "usd", "US", "USDX", "\xe2\x82\xac"}) {
      CHECK_MESSAGE(IsPoison(Event("1", "", "e-1", currency)), "currency " << currency);
    }
    CHECK(IsPoison(Event("1", R"(,"userId":"user 1")")));
  }
}

}  // namespace
}  // namespace wanderluxe
