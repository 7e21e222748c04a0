#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "wanderluxe/booking_event.h"
#include "wanderluxe/booking_request.h"
#include "wanderluxe/ids.h"

namespace wanderluxe {
namespace {

const RequestLimits kLimits{{"USD", "EUR", "JPY", "KWD"}, 100'000'000};

std::vector<std::string> FieldsOf(const ParsedRequest& parsed) {
  std::vector<std::string> fields;
  for (const auto& e : parsed.errors) fields.push_back(e.field);
  return fields;
}

TEST_SUITE("unit.booking_request") {
  TEST_CASE("the challenge's own request is valid and exact") {
    auto parsed = ParseBookingRequest(
        R"({"bookingId":"b-1001","propertyId":"prop-dubai-royal","amount":5000.00,"currency":"USD"})",
        kLimits);
    REQUIRE(parsed.errors.empty());
    CHECK(parsed.request->amount.minor_units == 500000);
    CHECK(parsed.request->property_id == "prop-dubai-royal");
  }

  TEST_CASE("every bad field is listed at once") {
    auto parsed = ParseBookingRequest(
        R"({"bookingId":"b 1","propertyId":7,"amount":"5","currency":"XXX","bogus":1})", kLimits);
    CHECK(FieldsOf(parsed) ==
          std::vector<std::string>{"bogus", "bookingId", "propertyId", "currency", "amount"});
    CHECK_FALSE(parsed.request.has_value());
  }

  TEST_CASE("missing fields are named") {
    auto parsed = ParseBookingRequest("{}", kLimits);
    CHECK(FieldsOf(parsed) ==
          std::vector<std::string>{"bookingId", "propertyId", "currency", "amount"});
    CHECK(parsed.errors[0].detail == "is required");
  }

  TEST_CASE("amounts: zero, negative, too precise, too large, exponent") {
    auto amount_error = [](const std::string& amount, const std::string& currency) {
      auto parsed = ParseBookingRequest(R"({"bookingId":"b","propertyId":"p","amount":)" + amount +
                                            R"(,"currency":")" + currency + R"("})",
                                        kLimits);
      return parsed.errors.empty() ? std::string() : parsed.errors[0].detail;
    };
    CHECK(amount_error("0", "USD") == "must be greater than zero");
    CHECK(amount_error("0.00", "USD") == "must be greater than zero");
    CHECK(amount_error("-5", "USD") == "must be greater than zero");
    CHECK(amount_error("10.001", "USD") == "has more than 2 decimal places for this currency");
    CHECK(amount_error("10.5", "JPY") == "has more than 0 decimal places for this currency");
    CHECK(amount_error("10.125", "KWD").empty());
    CHECK(amount_error("1000000.01", "USD") == "must be at most 1000000.00 USD");
    CHECK(amount_error("1e3", "USD").empty());  // 1000.00, read exactly
    CHECK(amount_error("1.5e-2", "USD") == "has more than 2 decimal places for this currency");
    CHECK(amount_error("1e7", "USD") == "must be at most 1000000.00 USD");
    CHECK(amount_error("-1e2", "USD") == "must be greater than zero");
    CHECK(amount_error("99999999999999999999999", "USD") == "is too large");
  }

  TEST_CASE("dates: both or neither, real, ordered") {
    auto date_errors = [](const std::string& dates) {
      return FieldsOf(ParseBookingRequest(
          R"({"bookingId":"b","propertyId":"p","amount":1,"currency":"USD")" + dates + "}",
          kLimits));
    };
    CHECK(date_errors(R"(,"checkInDate":"2025-12-24","checkOutDate":"2025-12-27")").empty());
    CHECK(date_errors(R"(,"checkInDate":"2025-12-24")") ==
          std::vector<std::string>{"checkOutDate"});
    CHECK(date_errors(R"(,"checkInDate":"2025-02-30","checkOutDate":"2025-03-02")") ==
          std::vector<std::string>{"checkInDate"});
    CHECK(date_errors(R"(,"checkInDate":"2024-02-29","checkOutDate":"2024-03-01")").empty());
    CHECK(date_errors(R"(,"checkInDate":"2025-12-27","checkOutDate":"2025-12-24")") ==
          std::vector<std::string>{"checkOutDate"});
    CHECK(date_errors(R"(,"checkInDate":"24/12/2025","checkOutDate":"2025-12-27")") ==
          std::vector<std::string>{"checkInDate"});
  }

  TEST_CASE("malformed JSON, non-objects and duplicate keys are body errors") {
    for (const char* body : {"{", "[]", "\"x\"", "", R"({"bookingId":"a","bookingId":"b"})"}) {
      auto parsed = ParseBookingRequest(body, kLimits);
      REQUIRE_MESSAGE(parsed.errors.size() == 1, body);
      CHECK(parsed.errors[0].field == "body");
    }
  }

  TEST_CASE("bytes that are not UTF-8 name the member whose value holds them") {
    auto errors_of = [](const std::string& body) {
      return ParseBookingRequest(body, kLimits).errors;
    };
    const std::string tail = R"(,"propertyId":"p","amount":5,"currency":"USD"})";
    // A lone continuation byte, a truncated sequence, an overlong '/', a surrogate, past U+10FFFF.
    for (const std::string& bad :
         {std::string("\x80"), std::string("\xc3"), std::string("\xc0\xaf"),
          std::string("\xed\xa0\x80"), std::string("\xf4\x90\x80\x80"), std::string("\xff")}) {
      auto errors = errors_of(R"({"bookingId":"b-)" + bad + "\"" + tail);
      REQUIRE(errors.size() == 1);
      CHECK(errors[0].field == "bookingId");
      CHECK(errors[0].detail == "is not valid UTF-8 (byte 16)");
    }
    // Inside a nested value, the top-level member is named.
    auto nested = errors_of("{\"bookingId\":\"b\",\"userId\":{\"x\":[\"\xff\"]}" + tail);
    REQUIRE(nested.size() == 1);
    CHECK(nested[0].field == "userId");
    // Outside any string, but where a value is expected.
    CHECK(errors_of("{\"bookingId\":\"b\",\"amount\":\xff}").at(0).field == "amount");
    // In a member's name: no member to name, so the body.
    auto in_key = errors_of("{\"bookingId\":\"b\",\"\xffx\":1" + tail);
    REQUIRE(in_key.size() == 1);
    CHECK(in_key[0].field == "body");
    CHECK(in_key[0].detail == "is not valid UTF-8 (byte 18)");
    // Valid UTF-8 beyond ASCII is fine where strings are allowed.
    CHECK(FieldsOf(
              ParseBookingRequest(R"({"bookingId":"b","propertyId":"p","amount":5,)"
                                  "\"currency\":\"USD\",\"note\":\"caf\xc3\xa9 \xf0\x9f\x8f\xa8\"}",
                                  kLimits)) == std::vector<std::string>{"note"});
  }

  TEST_CASE("a body in UTF-16 or UTF-32, or behind a byte order mark, is a body error") {
    const std::string json = R"({"bookingId":"b","propertyId":"p","amount":5,"currency":"USD"})";
    std::string utf16le, utf16be;
    for (char c : json) {
      utf16le += std::string{c, '\0'};
      utf16be += std::string{'\0', c};
    }
    const std::pair<std::string, std::string> cases[] = {
        {"\xff\xfe" + utf16le, "is UTF-16 (byte order mark FF FE); send UTF-8"},
        {"\xfe\xff" + utf16be, "is UTF-16 (byte order mark FE FF); send UTF-8"},
        {utf16le, "holds NUL bytes, as UTF-16 or UTF-32 text would; send UTF-8"},
        {utf16be, "holds NUL bytes, as UTF-16 or UTF-32 text would; send UTF-8"},
        {"\xef\xbb\xbf" + json, "starts with a byte order mark; send UTF-8 without one"},
    };
    for (const auto& [body, detail] : cases) {
      auto parsed = ParseBookingRequest(body, kLimits);
      REQUIRE(parsed.errors.size() == 1);
      CHECK(parsed.errors[0].field == "body");
      CHECK(parsed.errors[0].detail == detail);
    }
  }

  TEST_CASE("error details never quote a byte that is not UTF-8") {
    // nlohmann's syntax errors quote the bytes last read, which can be half
    // of a multi-byte character when the error is right at it.
    for (const std::string& body :
         {std::string("{\"amount\": \xc3\xa9}"), std::string("{\"a\":tru\xc3\xa9}"),
          std::string("\xe2\x82\xac"), std::string("{\"a\":1}\xc3\xa9")}) {
      for (const FieldError& e : ParseBookingRequest(body, kLimits).errors) {
        CHECK_NOTHROW((void)nlohmann::json(e.detail).dump());
        CHECK_NOTHROW((void)nlohmann::json(e.field).dump());
      }
    }
  }

  TEST_CASE("idempotency keys are 1-255 printable ASCII") {
    CHECK(IsValidIdempotencyKey("0b9c7a1e-uuid"));
    CHECK_FALSE(IsValidIdempotencyKey(""));
    CHECK_FALSE(IsValidIdempotencyKey("has space"));
    CHECK_FALSE(IsValidIdempotencyKey(std::string(256, 'k')));
    CHECK(IsValidIdempotencyKey(std::string(255, 'k')));
  }

  TEST_CASE("fingerprints ignore JSON spelling but not content") {
    auto a = ParseBookingRequest(
        R"({"bookingId":"b","propertyId":"p","amount":5000,"currency":"USD"})", kLimits);
    auto b = ParseBookingRequest(
        R"({"currency":"USD","amount":5000.00,"propertyId":"p","bookingId":"b"})", kLimits);
    auto c = ParseBookingRequest(
        R"({"bookingId":"b","propertyId":"p","amount":5000.01,"currency":"USD"})", kLimits);
    CHECK(a.request->Fingerprint() == b.request->Fingerprint());
    CHECK(a.request->Fingerprint() != c.request->Fingerprint());
  }
}

TEST_SUITE("unit.booking_event") {
  TEST_CASE("encode then decode gives the same event, amount exact") {
    BookingEvent event;
    event.event_id = NewUuid();
    event.timestamp = NowIso8601();
    event.request = {"b-1001",        "prop-dubai-royal", "user-98765",
                     {500001, "USD"}, "2025-12-24",       "2025-12-27"};
    event.metadata = {NewTraceId(), NewSpanId(), "payment-gateway", "key-1"};
    const std::string json = EncodeBookingEvent(event);
    CHECK(json.find("\"amount\":5000.01") != std::string::npos);
    auto decoded = DecodeBookingEvent(json);
    REQUIRE_MESSAGE(decoded.ok(), decoded.status().ToString());
    CHECK(decoded->request == event.request);
    CHECK(decoded->event_id == event.event_id);
    CHECK(decoded->metadata.idempotency_key == "key-1");
  }

  TEST_CASE("the brief's example event decodes") {
    auto decoded = DecodeBookingEvent(
        R"({"eventId":"e1","eventType":"BOOKING_INITIATED","schemaVersion":1,
            "timestamp":"2025-12-16T10:00:00Z",
            "payload":{"bookingId":"b-1001","propertyId":"prop-dubai-royal","userId":"user-98765",
                       "amount":5000.00,"currency":"USD",
                       "dates":{"checkIn":"2025-12-24","checkOut":"2025-12-27"}},
            "metadata":{"traceId":"t","spanId":"s","origin":"payment-gateway","idempotencyKey":"k"}})");
    REQUIRE_MESSAGE(decoded.ok(), decoded.status().ToString());
    CHECK(decoded->request.amount.minor_units == 500000);
  }

  TEST_CASE("poison events are InvalidArgument with a reason") {
    for (const char* bad : {"not json", "{}", R"({"eventType":"OTHER"})",
                            R"({"eventId":"e","eventType":"BOOKING_INITIATED","schemaVersion":1,
                                "payload":{"bookingId":"b","propertyId":"p","amount":1.5,
                                "amountMinor":1,"currency":"USD"}})"}) {
      auto decoded = DecodeBookingEvent(bad);
      CHECK_MESSAGE(decoded.status().code() == StatusCode::kInvalidArgument, bad);
    }
  }

  TEST_CASE("uuids are version 4 and distinct") {
    const std::string a = NewUuid(), b = NewUuid();
    CHECK(a.size() == 36);
    CHECK(a[14] == '4');
    CHECK(std::string("89ab").find(a[19]) != std::string::npos);
    CHECK(a != b);
    CHECK(TraceParent(NewTraceId(), NewSpanId()).size() == 55);
  }
}

}  // namespace
}  // namespace wanderluxe
