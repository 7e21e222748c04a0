#include "wanderluxe/booking_event.h"

#include <algorithm>

#include "core/exact_json.h"
#include "core/json_writer.h"
#include "wanderluxe/booking_request.h"

namespace wanderluxe {
namespace {

using nlohmann::json;

// Writes `amount` as a raw JSON number token with exactly the currency's digits.
std::string AmountToken(const Money& money) {
  return FormatDecimalAmount(money.minor_units, CurrencyMinorDigits(money.currency));
}

// ISO 4217 alpha-3 in form, as gateway.currencies must be.
bool IsCurrencyCode(std::string_view code) {
  return code.size() == 3 &&
         std::all_of(code.begin(), code.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

// Room for a whole event without regrowing the string (they run ~450 bytes).
constexpr size_t kTypicalEventBytes = 640;

}  // namespace

// Members in sorted order, as an nlohmann::json object would print them: the
// bytes of an event do not depend on which encoder wrote it.
std::string EncodeBookingEvent(const BookingEvent& event) {
  const BookingRequest& r = event.request;
  std::string text;
  text.reserve(kTypicalEventBytes);
  JsonWriter w(&text);
  w.BeginObject();
  w.Key("eventId");
  w.String(event.event_id);
  w.Key("eventType");
  w.String(kBookingInitiated);
  w.Key("metadata");
  w.BeginObject();
  if (!event.metadata.client_id.empty()) {
    w.Key("clientId");
    w.String(event.metadata.client_id);
  }
  w.Key("idempotencyKey");
  w.String(event.metadata.idempotency_key);
  w.Key("origin");
  w.String(event.metadata.origin);
  w.Key("spanId");
  w.String(event.metadata.span_id);
  w.Key("traceId");
  w.String(event.metadata.trace_id);
  w.EndObject();
  w.Key("payload");
  w.BeginObject();
  w.Key("amount");
  w.Raw(AmountToken(r.amount));  // exact decimal, never a double
  w.Key("amountMinor");
  w.Int(r.amount.minor_units);
  w.Key("bookingId");
  w.String(r.booking_id);
  w.Key("currency");
  w.String(r.amount.currency);
  if (!r.check_in.empty()) {
    w.Key("dates");
    w.BeginObject();
    w.Key("checkIn");
    w.String(r.check_in);
    w.Key("checkOut");
    w.String(r.check_out);
    w.EndObject();
  }
  w.Key("propertyId");
  w.String(r.property_id);
  if (!r.user_id.empty()) {
    w.Key("userId");
    w.String(r.user_id);
  }
  w.EndObject();
  w.Key("schemaVersion");
  w.Int(kBookingEventSchemaVersion);
  w.Key("timestamp");
  w.String(event.timestamp);
  w.EndObject();
  return text;
}

Result<BookingEvent> DecodeBookingEvent(std::string_view text) {
  auto doc = ParseExactJson(text);
  if (!doc.ok()) return Status::InvalidArgument("event is not JSON: " + doc.status().message());
  try {
    const json& v = doc->value;
    if (v.at("eventType").get<std::string>() != kBookingInitiated) {
      return Status::InvalidArgument("unknown eventType " + v.at("eventType").dump());
    }
    // Numbers are compared as JSON values, never cast to an int first: 1.5 and
    // 2^32 + 1 are not version 1, and 1e300 fits no int at all.
    if (v.at("schemaVersion") != json(kBookingEventSchemaVersion)) {
      return Status::InvalidArgument("unsupported schemaVersion " + v.at("schemaVersion").dump());
    }
    BookingEvent event;
    event.event_id = v.at("eventId").get<std::string>();
    if (event.event_id.empty()) return Status::InvalidArgument("eventId is empty");
    event.timestamp = v.value("timestamp", "");
    const json& p = v.at("payload");
    BookingRequest& r = event.request;
    if (v.contains("metadata")) {
      const json& m = v.at("metadata");
      event.metadata.trace_id = m.value("traceId", "");
      event.metadata.span_id = m.value("spanId", "");
      event.metadata.origin = m.value("origin", "");
      event.metadata.idempotency_key = m.value("idempotencyKey", "");
      event.metadata.client_id = m.value("clientId", "");
    }
    r.booking_id = p.at("bookingId").get<std::string>();
    r.property_id = p.at("propertyId").get<std::string>();
    r.user_id = p.value("userId", "");
    r.amount.currency = p.at("currency").get<std::string>();
    // What the gateway validated (booking_request.cc) holds here too: an
    // event it could not have written is poison, not a booking.
    if (!IsValidStoredBookingId(event.metadata.client_id, r.booking_id) ||
        !IsValidId(r.property_id) || (!r.user_id.empty() && !IsValidId(r.user_id))) {
      return Status::InvalidArgument(
          "bookingId (of its clientId), propertyId or userId is not a valid id");
    }
    if (!IsCurrencyCode(r.amount.currency)) {
      return Status::InvalidArgument("payload.currency is not an ISO 4217 code");
    }
    auto it = doc->number_text.find("/payload/amount");
    if (it == doc->number_text.end()) return Status::InvalidArgument("payload.amount is missing");
    auto minor = ParseDecimalAmount(it->second, CurrencyMinorDigits(r.amount.currency));
    if (!minor.ok()) return Status::InvalidArgument("payload.amount " + minor.status().message());
    if (*minor <= 0) return Status::InvalidArgument("payload.amount must be positive");
    if (p.contains("amountMinor") &&
        !(p.at("amountMinor").is_number_integer() && p.at("amountMinor") == json(*minor))) {
      return Status::InvalidArgument("payload.amount and payload.amountMinor disagree");
    }
    r.amount.minor_units = *minor;
    if (p.contains("dates")) {
      r.check_in = p.at("dates").at("checkIn").get<std::string>();
      r.check_out = p.at("dates").at("checkOut").get<std::string>();
      // ISO dates compare correctly as text.
      if (!IsValidIsoDate(r.check_in) || !IsValidIsoDate(r.check_out) ||
          r.check_in >= r.check_out) {
        return Status::InvalidArgument("payload.dates must be two calendar dates, checkIn first");
      }
    }
    return event;
  } catch (const json::exception& e) {
    // Missing fields and wrong types: the message can never be processed.
    return Status::InvalidArgument(std::string("event does not match the schema: ") + e.what());
  }
}

}  // namespace wanderluxe
