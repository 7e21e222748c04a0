#include "wanderluxe/audit_record.h"

#include <nlohmann/json.hpp>

namespace wanderluxe {
namespace {

using nlohmann::json;

bool IsUtf8(const std::string& s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    const size_t len = c < 0x80           ? 1
                       : (c >> 5) == 0x6  ? 2
                       : (c >> 4) == 0xe  ? 3
                       : (c >> 3) == 0x1e ? 4
                                          : 0;
    if (len == 0 || i + len > s.size()) return false;
    for (size_t k = 1; k < len; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 0x2) return false;
    }
    i += len;
  }
  return true;
}

std::string Base64(const std::string& in) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const uint32_t n = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    for (int shift : {18, 12, 6, 0}) out += kAlphabet[(n >> shift) & 63];
  }
  if (i + 1 == in.size()) {
    const uint32_t n = uint8_t(in[i]) << 16;
    out += std::string{kAlphabet[(n >> 18) & 63], kAlphabet[(n >> 12) & 63], '=', '='};
  } else if (i + 2 == in.size()) {
    const uint32_t n = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8);
    out += std::string{kAlphabet[(n >> 18) & 63], kAlphabet[(n >> 12) & 63],
                       kAlphabet[(n >> 6) & 63], '='};
  }
  return out;
}

// Reads the ids of a booking request or outcome event, whatever its schema
// version: the archive must not depend on decoders that may reject it.
void ReadIds(AuditRecord& r) {
  json doc = json::parse(r.value, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    r.decode_error = "value is not a JSON object";
    return;
  }
  if (doc.contains("eventId") && doc["eventId"].is_string()) r.event_id = doc["eventId"];
  if (doc.contains("eventType") && doc["eventType"].is_string()) r.event_type = doc["eventType"];
  for (const json* holder : {&doc, doc.contains("payload") ? &doc["payload"] : nullptr}) {
    if (holder != nullptr && holder->is_object() && holder->contains("bookingId") &&
        (*holder)["bookingId"].is_string()) {
      r.booking_id = (*holder)["bookingId"];
    }
  }
  if (r.event_id.empty()) r.decode_error = "event has no eventId";
}

}  // namespace

AuditRecord MakeAuditRecord(const ConsumedEvent& event, const std::string& received_at) {
  AuditRecord r;
  r.topic = event.topic;
  r.partition = event.partition;
  r.offset = event.offset;
  r.key = event.key;
  r.headers = event.headers;
  r.kafka_timestamp_ms = event.timestamp_ms;
  r.received_at = received_at;
  if (IsUtf8(event.value)) {
    r.value = event.value;
    ReadIds(r);
  } else {
    r.value = Base64(event.value);
    r.value_base64 = true;
    r.decode_error = "value is not UTF-8 (stored base64)";
  }
  r.archive_id = !r.event_id.empty() ? r.event_id
                                     : "raw:" + r.topic + ":" + std::to_string(r.partition) + ":" +
                                           std::to_string(r.offset);
  if (!IsUtf8(r.key)) r.key = Base64(r.key);
  for (auto& h : r.headers) {
    if (!IsUtf8(h.value)) h.value = Base64(h.value);
  }
  return r;
}

std::string AuditRecord::ToJson() const {
  // An array, not an object: header names may hold '.' or '$', which Mongo
  // field names may not.
  json headers_json = json::array();
  for (const auto& h : headers) headers_json.push_back({{"key", h.key}, {"value", h.value}});
  json doc = {{"_id", archive_id},
              {"topic", topic},
              {"partition", partition},
              {"offset", offset},
              {"key", key},
              {"value", value},
              {"valueBase64", value_base64},
              {"headers", headers_json},
              {"kafkaTimestampMs", kafka_timestamp_ms},
              {"receivedAt", received_at},
              {"eventId", event_id},
              {"eventType", event_type},
              {"bookingId", booking_id},
              {"decodeError", decode_error}};
  return doc.dump();
}

}  // namespace wanderluxe
