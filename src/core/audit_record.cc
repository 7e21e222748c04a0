#include "wanderluxe/audit_record.h"

#include <cstdio>
#include <nlohmann/json.hpp>

#include "core/utf8.h"

namespace wanderluxe {
namespace {

using nlohmann::json;

// An id longer than this is not used as one: _id and bookingId are index
// keys, and PostgreSQL (under FerretDB) refuses an index row over 2,704
// bytes, which fails the whole bulk at every retry.
constexpr size_t kMaxIdBytes = 256;

// Text every archive can store as is (see audit_record.h).
bool IsArchivableText(const std::string& bytes) {
  return IsUtf8(bytes) && bytes.find('\0') == std::string::npos;
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

// Stores `bytes` into `text`, base64 when they are not archivable text.
void Store(const std::string& bytes, std::string& text, bool& base64) {
  base64 = !IsArchivableText(bytes);
  text = base64 ? Base64(bytes) : bytes;
}

// 64-bit FNV-1a: tells two unreadable events at the same coordinates apart.
uint64_t Fnv1a(uint64_t hash, const std::string& bytes) {
  for (unsigned char c : bytes) hash = (hash ^ c) * 1099511628211ull;
  return hash;
}

std::string RawId(const ConsumedEvent& event) {
  uint64_t hash = Fnv1a(14695981039346656037ull, std::to_string(event.key.size()) + ":");
  hash = Fnv1a(Fnv1a(hash, event.key), event.value);
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(hash));
  return "raw:" + event.topic + ":" + std::to_string(event.partition) + ":" +
         std::to_string(event.offset) + ":" + std::to_string(event.timestamp_ms) + ":" + hex;
}

// The string field `name` of `holder` when the archive can index it; empty
// otherwise, with `why` saying what was wrong with a field that was there.
// (Parsed JSON strings are UTF-8 already; an escaped \u0000 is not.)
std::string IdField(const json& holder, const char* name, std::string& why) {
  auto it = holder.find(name);
  if (it == holder.end() || !it->is_string()) return "";
  const auto& id = it->get_ref<const std::string&>();
  if (!IsArchivableText(id)) {
    why = std::string(name) + " holds U+0000";
    return "";
  }
  if (id.size() > kMaxIdBytes) {
    why = std::string(name) + " is longer than " + std::to_string(kMaxIdBytes) + " bytes";
    return "";
  }
  return id;
}

// Reads the ids of a booking request or outcome event, whatever its schema
// version: the archive must not depend on decoders that may reject it.
void ReadIds(AuditRecord& r) {
  const json doc = json::parse(r.value, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    r.decode_error = "value is not a JSON object";
    return;
  }
  std::string why;
  r.event_id = IdField(doc, "eventId", why);
  r.event_type = IdField(doc, "eventType", why);
  r.booking_id = IdField(doc, "bookingId", why);  // an outcome event's
  auto payload = doc.find("payload");
  if (payload != doc.end() && payload->is_object()) {
    std::string in_payload = IdField(*payload, "bookingId", why);  // a request's
    if (!in_payload.empty()) r.booking_id = in_payload;
  }
  if (r.event_id.empty() && why.empty()) why = "event has no eventId";
  r.decode_error = why;
}

}  // namespace

AuditRecord MakeAuditRecord(const ConsumedEvent& event, const std::string& received_at) {
  AuditRecord r;
  r.topic = event.topic;
  r.partition = event.partition;
  r.offset = event.offset;
  r.kafka_timestamp_ms = event.timestamp_ms;
  r.received_at = received_at;
  Store(event.key, r.key, r.key_base64);
  Store(event.value, r.value, r.value_base64);
  if (r.value_base64) {
    r.decode_error = "value is not text (stored base64)";
  } else {
    ReadIds(r);
  }
  for (const EventHeader& h : event.headers) {
    AuditHeader& archived = r.headers.emplace_back();
    Store(h.key, archived.key, archived.key_base64);
    Store(h.value, archived.value, archived.value_base64);
  }
  r.archive_id = !r.event_id.empty() ? r.event_id : RawId(event);
  return r;
}

std::string AuditRecord::ToJson() const {
  // An array, not an object: header names may hold '.' or '$', which Mongo
  // field names may not.
  json headers_json = json::array();
  for (const AuditHeader& h : headers) {
    headers_json.push_back({{"key", h.key},
                            {"keyBase64", h.key_base64},
                            {"value", h.value},
                            {"valueBase64", h.value_base64}});
  }
  const json doc = {{"_id", archive_id},
                    {"topic", topic},
                    {"partition", partition},
                    {"offset", offset},
                    {"key", key},
                    {"keyBase64", key_base64},
                    {"value", value},
                    {"valueBase64", value_base64},
                    {"headers", headers_json},
                    {"kafkaTimestampMs", kafka_timestamp_ms},
                    {"receivedAt", received_at},
                    {"eventId", event_id},
                    {"eventType", event_type},
                    {"bookingId", booking_id},
                    {"decodeError", decode_error}};
  // MakeAuditRecord leaves no string that is not UTF-8. `replace` is the last
  // line of defence for a record built some other way: a U+FFFD in the
  // archive rather than an exception that would stop the audit thread.
  return doc.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace wanderluxe
