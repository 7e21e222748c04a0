// libFuzzer target: what the processor's poll thread runs on the value of a
// `booking.requests` message (docs/contract.md "Request event"): DecodeBookingEvent.
//
// Input: the message value's bytes.
//
// Properties; a failure aborts through WL_CHECK, so libFuzzer keeps the input:
//   - decoding never throws; a rejection is kInvalidArgument with a reason
//     (the poison path: DLQ, never a crash of the poll thread);
//   - an accepted event is one the gateway could have written: an eventId,
//     valid ids, the eventType and schemaVersion 1 as written (not 1.5, not
//     2^32 + 1), a currency code, an amount > 0 in minor units equal to the
//     JSON number, amountMinor, when given, the same integer, and no dates or
//     two calendar days in order;
//   - encoding it again and decoding that gives the same event, and the
//     encoding is a fixed point (encode(decode(encode(e))) == encode(e)).
#include <spdlog/spdlog.h>

#include <cstddef>
#include <cstdint>
#include <exception>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "booking_oracles.h"
#include "strict_utf8.h"
#include "wanderluxe/booking_event.h"
#include "wanderluxe/check.h"

namespace wanderluxe {
namespace {

using nlohmann::json;

Result<BookingEvent> DecodeOrDie(std::string_view value) {
  try {
    return DecodeBookingEvent(value);
  } catch (const std::exception& e) {
    WL_CHECK(false, std::string("DecodeBookingEvent threw: ") + e.what());
  }
  return Status::Internal("unreachable");
}

std::string EncodeOrDie(const BookingEvent& event) {
  try {
    return EncodeBookingEvent(event);
  } catch (const std::exception& e) {
    WL_CHECK(false, std::string("EncodeBookingEvent threw: ") + e.what());
  }
  return "";
}

bool SameEvent(const BookingEvent& a, const BookingEvent& b) {
  return a.event_id == b.event_id && a.timestamp == b.timestamp && a.request == b.request &&
         a.metadata.trace_id == b.metadata.trace_id && a.metadata.span_id == b.metadata.span_id &&
         a.metadata.origin == b.metadata.origin &&
         a.metadata.idempotency_key == b.metadata.idempotency_key;
}

// What the value says, read without the decoder: the fields the decoder
// must have taken as written.
void CheckAsWritten(std::string_view value, const BookingEvent& event) {
  const json doc = json::parse(value, nullptr, /*allow_exceptions=*/false);
  WL_CHECK(doc.is_object() && doc.contains("payload") && doc.at("payload").is_object(),
           "accepted a value that is no event object");
  WL_CHECK(doc.value("eventType", json()) == json(kBookingInitiated),
           "accepted eventType " + doc.value("eventType", json()).dump());
  WL_CHECK(doc.value("schemaVersion", json()) == json(kBookingEventSchemaVersion),
           "accepted schemaVersion " + doc.value("schemaVersion", json()).dump());
  const json& payload = doc.at("payload");
  const BookingRequest& r = event.request;
  WL_CHECK(!event.event_id.empty(), "accepted an event without an eventId");
  WL_CHECK(fuzz::IsGoodId(r.booking_id) && fuzz::IsGoodId(r.property_id) &&
               (r.user_id.empty() || fuzz::IsGoodId(r.user_id)),
           "accepted ids " + r.booking_id + ", " + r.property_id + ", " + r.user_id);
  WL_CHECK(fuzz::IsCurrencyCode(r.amount.currency), "accepted currency " + r.amount.currency);
  WL_CHECK((r.check_in.empty() && r.check_out.empty()) ||
               (fuzz::IsCalendarDate(r.check_in) && fuzz::IsCalendarDate(r.check_out) &&
                r.check_in < r.check_out),
           "accepted dates '" + r.check_in + "', '" + r.check_out + "'");
  WL_CHECK(r.amount.minor_units > 0,
           "accepted an amount of " + std::to_string(r.amount.minor_units) + " minor units");
  WL_CHECK(fuzz::AmountMatches(payload.value("amount", json()), r.amount.minor_units,
                               CurrencyMinorDigits(r.amount.currency)),
           "amount " + payload.value("amount", json()).dump() + " decoded as " +
               std::to_string(r.amount.minor_units) + " minor units of " + r.amount.currency);
  if (payload.contains("amountMinor")) {
    const json& minor = payload.at("amountMinor");
    WL_CHECK(minor.is_number_integer() && minor == json(r.amount.minor_units),
             "amountMinor " + minor.dump() + " accepted for " +
                 std::to_string(r.amount.minor_units) + " minor units");
  }
}

void CheckOne(std::string_view value) {
  const Result<BookingEvent> decoded = DecodeOrDie(value);
  if (!decoded.ok()) {
    WL_CHECK(decoded.status().code() == StatusCode::kInvalidArgument &&
                 !decoded.status().message().empty(),
             "a rejection that is not poison with a reason: " + decoded.status().ToString());
    return;
  }
  CheckAsWritten(value, *decoded);

  const std::string encoded = EncodeOrDie(*decoded);
  WL_CHECK(fuzz::IsStrictUtf8(encoded), "the re-encoded event is not UTF-8: " + encoded);
  const Result<BookingEvent> again = DecodeOrDie(encoded);
  WL_CHECK(again.ok(),
           "the re-encoded event does not decode: " + again.status().ToString() + " in " + encoded);
  WL_CHECK(SameEvent(*decoded, *again), "the re-encoded event decodes to another: " + encoded);
  WL_CHECK(EncodeOrDie(*again) == encoded, "encoding is not a fixed point: " + encoded);
}

}  // namespace
}  // namespace wanderluxe

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  spdlog::set_level(spdlog::level::off);  // failures speak through WL_CHECK on stderr
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  wanderluxe::CheckOne(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
