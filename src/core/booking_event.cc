#include "wanderluxe/booking_event.h"

#include "core/exact_json.h"
#include "wanderluxe/booking_request.h"

namespace wanderluxe {
namespace {

using nlohmann::json;

// Writes `amount` as a raw JSON number token with exactly the currency's digits.
std::string AmountToken(const Money& money) {
  return FormatDecimalAmount(money.minor_units, CurrencyMinorDigits(money.currency));
}

}  // namespace

std::string EncodeBookingEvent(const BookingEvent& event) {
  const BookingRequest& r = event.request;
  json payload = {{"bookingId", r.booking_id},
                  {"propertyId", r.property_id},
                  {"amount", nullptr},  // placeholder; written as exact text below
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
  // nlohmann would print a double; splice the exact decimal into the null slot.
  const std::string slot = "\"amount\":null";
  text.replace(text.find(slot), slot.size(), "\"amount\":" + AmountToken(r.amount));
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
    if (v.at("schemaVersion").get<int>() != kBookingEventSchemaVersion) {
      return Status::InvalidArgument("unsupported schemaVersion " + v.at("schemaVersion").dump());
    }
    BookingEvent event;
    event.event_id = v.at("eventId").get<std::string>();
    event.timestamp = v.value("timestamp", "");
    const json& p = v.at("payload");
    BookingRequest& r = event.request;
    r.booking_id = p.at("bookingId").get<std::string>();
    r.property_id = p.at("propertyId").get<std::string>();
    r.user_id = p.value("userId", "");
    r.amount.currency = p.at("currency").get<std::string>();
    if (!IsValidId(r.booking_id) || !IsValidId(r.property_id)) {
      return Status::InvalidArgument("bookingId or propertyId is not a valid id");
    }
    auto it = doc->number_text.find("/payload/amount");
    if (it == doc->number_text.end()) return Status::InvalidArgument("payload.amount is missing");
    auto minor = ParseDecimalAmount(it->second, CurrencyMinorDigits(r.amount.currency));
    if (!minor.ok()) return Status::InvalidArgument("payload.amount " + minor.status().message());
    if (*minor <= 0) return Status::InvalidArgument("payload.amount must be positive");
    if (p.contains("amountMinor") && p.at("amountMinor").get<int64_t>() != *minor) {
      return Status::InvalidArgument("payload.amount and payload.amountMinor disagree");
    }
    r.amount.minor_units = *minor;
    if (p.contains("dates")) {
      r.check_in = p.at("dates").at("checkIn").get<std::string>();
      r.check_out = p.at("dates").at("checkOut").get<std::string>();
    }
    if (v.contains("metadata")) {
      const json& m = v.at("metadata");
      event.metadata.trace_id = m.value("traceId", "");
      event.metadata.span_id = m.value("spanId", "");
      event.metadata.origin = m.value("origin", "");
      event.metadata.idempotency_key = m.value("idempotencyKey", "");
    }
    return event;
  } catch (const json::exception& e) {
    // Missing fields and wrong types: the message can never be processed.
    return Status::InvalidArgument(std::string("event does not match the schema: ") + e.what());
  }
}

}  // namespace wanderluxe
