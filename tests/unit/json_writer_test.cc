// JsonWriter writes the bytes nlohmann::json's dump() writes: the per-request
// encoders moved off nlohmann for speed (issue 13) and must not change a byte
// of what Kafka, Redis and the clients receive.
#include "core/json_writer.h"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <random>
#include <stdexcept>
#include <string>

#include "wanderluxe/booking_event.h"
#include "wanderluxe/money.h"

namespace wanderluxe {
namespace {

using nlohmann::json;

std::string Written(std::string_view text) {
  std::string out;
  JsonWriter(&out).String(text);
  return out;
}

// The encoder EncodeBookingEvent replaced, kept as the oracle.
std::string EncodeWithNlohmann(const BookingEvent& event) {
  const BookingRequest& r = event.request;
  json payload = {{"bookingId", r.booking_id},
                  {"propertyId", r.property_id},
                  {"amount", nullptr},
                  {"amountMinor", r.amount.minor_units},
                  {"currency", r.amount.currency}};
  if (!r.user_id.empty()) payload["userId"] = r.user_id;
  if (!r.check_in.empty()) payload["dates"] = {{"checkIn", r.check_in}, {"checkOut", r.check_out}};
  json doc = {{"eventId", event.event_id},
              {"eventType", kBookingInitiated},
              {"schemaVersion", kBookingEventSchemaVersion},
              {"timestamp", event.timestamp},
              {"payload", payload},
              {"metadata",
               {{"traceId", event.metadata.trace_id},
                {"spanId", event.metadata.span_id},
                {"origin", event.metadata.origin},
                {"idempotencyKey", event.metadata.idempotency_key}}}};
  std::string text = doc.dump();
  const std::string slot = "\"amount\":null";
  text.replace(text.find(slot), slot.size(),
               "\"amount\":" + FormatDecimalAmount(r.amount.minor_units,
                                                   CurrencyMinorDigits(r.amount.currency)));
  return text;
}

// A string of `n` characters drawn from ASCII (controls included) and from
// two-, three- and four-byte UTF-8.
std::string RandomUtf8(std::mt19937& rng, size_t n) {
  static const char* const kWide[] = {"é", "€", "😀", "中", "\u2028", "\u007f"};
  std::string s;
  for (size_t i = 0; i < n; ++i) {
    if (rng() % 4 == 0) {
      s += kWide[rng() % std::size(kWide)];
    } else {
      s += static_cast<char>(rng() % 0x80);
    }
  }
  return s;
}

TEST_SUITE("unit.json_writer") {
  TEST_CASE("every ASCII byte is escaped as dump() escapes it") {
    for (int c = 0; c < 0x80; ++c) {
      const std::string one(1, static_cast<char>(c));
      CHECK_MESSAGE(Written(one) == json(one).dump(), "byte " << c);
    }
  }

  TEST_CASE("random UTF-8 strings match dump() byte for byte") {
    std::mt19937 rng(13);
    for (int i = 0; i < 2000; ++i) {
      const std::string s = RandomUtf8(rng, rng() % 40);
      REQUIRE_MESSAGE(Written(s) == json(s).dump(), "case " << i);
    }
  }

  TEST_CASE("a string that is not UTF-8 throws, as dump() does") {
    for (const std::string bad : {"\xff", "a\xc3", "\xed\xa0\x80", "\xc0\xaf"}) {
      CHECK_THROWS_AS(Written(bad), std::invalid_argument);
      CHECK_THROWS(json(bad).dump());
    }
  }

  TEST_CASE("objects: commas between members, none after the last, nested") {
    std::string out;
    JsonWriter w(&out);
    w.BeginObject();
    w.Key("a");
    w.Int(-9223372036854775807LL - 1);
    w.Key("b");
    w.BeginObject();
    w.EndObject();
    w.Key("c");
    w.BeginObject();
    w.Key("d");
    w.Raw("1.50");
    w.Key("e");
    w.String("x");
    w.EndObject();
    w.EndObject();
    CHECK(out == R"({"a":-9223372036854775808,"b":{},"c":{"d":1.50,"e":"x"}})");
  }
}

TEST_SUITE("unit.booking_event") {
  TEST_CASE("EncodeBookingEvent writes the bytes the nlohmann encoder wrote") {
    std::mt19937 rng(7);
    for (int i = 0; i < 500; ++i) {
      BookingEvent e;
      e.event_id = RandomUtf8(rng, 36);
      e.timestamp = "2026-11-26T01:02:03.456Z";
      e.metadata = {RandomUtf8(rng, 32), RandomUtf8(rng, 16), "payment-gateway",
                    RandomUtf8(rng, rng() % 64)};
      BookingRequest& r = e.request;
      r.booking_id = RandomUtf8(rng, 12);
      r.property_id = RandomUtf8(rng, 8);
      if (i % 2 == 0) r.user_id = RandomUtf8(rng, 8);
      if (i % 3 == 0) {
        r.check_in = "2027-01-01";
        r.check_out = "2027-01-04";
      }
      static const char* const kCurrencies[] = {"USD", "JPY", "BHD", "AED"};
      r.amount = {static_cast<int64_t>(rng() % 10'000'000) + 1, kCurrencies[i % 4]};
      REQUIRE_MESSAGE(EncodeBookingEvent(e) == EncodeWithNlohmann(e), "case " << i);
    }
  }
}

}  // namespace
}  // namespace wanderluxe
