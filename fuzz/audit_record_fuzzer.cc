// libFuzzer target: what the audit role runs on every record it reads,
// MakeAuditRecord then AuditRecord::ToJson (a line of the file archive, a
// document of the Mongo one).
//
// Input, split by FuzzedDataProvider: integers from the end (topic index,
// partition, offset, Kafka timestamp, header count: 22 bytes),
// then from the front the key and each header's name and value (each ended
// by a backslash and one more byte; a literal backslash is doubled), and the
// rest is the value. fuzz/make_audit_record_seeds writes seeds in this layout.
//
// Properties; a failure aborts through WL_CHECK, so libFuzzer keeps the input:
//   - neither call throws, on any bytes;
//   - the JSON is strict UTF-8 (RFC 3629) and parses back to an object;
//   - every byte string comes back: a field F written as text equals the
//     original bytes, and one marked `FBase64: true` (valueBase64 on the
//     record; keyBase64 on the record and on a header; valueBase64 on a header)
//     is canonical base64 of them; a value that is UTF-8 without U+0000 stays
//     text;
//   - topic, partition, offset and timestamp are the record's own, and a
//     readable event is filed under its eventId.
#include <fuzzer/FuzzedDataProvider.h>
#include <spdlog/spdlog.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "strict_utf8.h"
#include "wanderluxe/audit_record.h"
#include "wanderluxe/check.h"

namespace wanderluxe {
namespace {

using nlohmann::json;

constexpr std::array<const char*, 3> kTopics = {"booking.requests", "booking.outcomes",
                                                "booking.requests.dlq"};
constexpr size_t kMaxHeaders = 4;
constexpr size_t kMaxFieldBytes = 512;  // a key or a header name or value
constexpr const char* kReceivedAt = "2025-12-16T10:00:00.000Z";

ConsumedEvent ToEvent(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  ConsumedEvent e;
  e.topic = in.PickValueInArray(kTopics);
  e.partition = in.ConsumeIntegral<int32_t>();
  e.offset = in.ConsumeIntegral<int64_t>();
  e.timestamp_ms = in.ConsumeIntegral<int64_t>();
  const size_t header_count = in.ConsumeIntegralInRange<size_t>(0, kMaxHeaders);
  e.key = in.ConsumeRandomLengthString(kMaxFieldBytes);
  for (size_t i = 0; i < header_count; ++i) {
    EventHeader h;
    h.key = in.ConsumeRandomLengthString(kMaxFieldBytes);
    h.value = in.ConsumeRandomLengthString(kMaxFieldBytes);
    e.headers.push_back(std::move(h));
  }
  e.value = in.ConsumeRemainingBytesAsString();
  return e;
}

// RFC 4648 base64 with padding, canonical only (unused bits zero), or nothing.
std::optional<std::string> DecodeBase64(const std::string& text) {
  static const std::string kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out;
  for (size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    const size_t pad = !last ? 0 : text[i + 3] != '=' ? 0 : text[i + 2] != '=' ? 1 : 2;
    uint32_t n = 0;
    for (size_t k = 0; k < 4; ++k) {
      const size_t digit = k < 4 - pad ? kAlphabet.find(text[i + k]) : 0;
      if (digit == std::string::npos) return std::nullopt;
      n = (n << 6) | static_cast<uint32_t>(digit);
    }
    if ((pad == 1 && (n & 0xff) != 0) || (pad == 2 && (n & 0xffff) != 0)) return std::nullopt;
    out += static_cast<char>(n >> 16);
    if (pad < 2) out += static_cast<char>((n >> 8) & 0xff);
    if (pad < 1) out += static_cast<char>(n & 0xff);
  }
  return out;
}

// `holder[field]` gives back `original`: as text, or base64 when marked.
void CheckBytes(const json& holder, const std::string& field, const std::string& original,
                const std::string& where) {
  WL_CHECK(holder.contains(field) && holder.at(field).is_string(), where + " has no " + field);
  const std::string& stored = holder.at(field).get_ref<const std::string&>();
  const std::string marker = field + "Base64";
  if (holder.value(marker, json(false)) == json(true)) {
    const std::optional<std::string> decoded = DecodeBase64(stored);
    WL_CHECK(decoded.has_value(), where + " " + marker + " is not canonical base64: " + stored);
    WL_CHECK(*decoded == original, where + " " + marker + " decodes to other bytes: " + stored);
  } else {
    WL_CHECK(stored == original, where + " " + field + " was changed without " + marker + ": '" +
                                     original + "' archived as '" + stored + "'");
  }
}

std::string ToJsonOrDie(const ConsumedEvent& event) {
  try {
    return MakeAuditRecord(event, kReceivedAt).ToJson();
  } catch (const std::exception& e) {
    WL_CHECK(false, std::string("the audit encoder threw: ") + e.what());
  }
  return "";
}

void CheckOne(const ConsumedEvent& event) {
  const std::string text = ToJsonOrDie(event);
  WL_CHECK(fuzz::IsStrictUtf8(text), "the archived JSON is not UTF-8: " + text);
  const json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  WL_CHECK(doc.is_object(), "the archived JSON does not parse back: " + text);

  WL_CHECK(doc.value("topic", json()) == json(event.topic) &&
               doc.value("partition", json()) == json(event.partition) &&
               doc.value("offset", json()) == json(event.offset) &&
               doc.value("kafkaTimestampMs", json()) == json(event.timestamp_ms) &&
               doc.value("receivedAt", json()) == json(kReceivedAt),
           "the record's place or time changed: " + text);
  CheckBytes(doc, "value", event.value, "the record");
  // U+0000 may go base64: FerretDB's PostgreSQL stores no NUL in text.
  const bool plain_text =
      fuzz::IsStrictUtf8(event.value) && event.value.find('\0') == std::string::npos;
  WL_CHECK(!plain_text || doc.value("valueBase64", json(false)) == json(false),
           "a UTF-8 value was archived base64: " + text);
  CheckBytes(doc, "key", event.key, "the record");
  const json headers = doc.value("headers", json());
  WL_CHECK(headers.is_array() && headers.size() == event.headers.size(),
           "the headers changed in number: " + text);
  for (size_t i = 0; i < headers.size(); ++i) {
    const std::string where = "header " + std::to_string(i);
    WL_CHECK(headers[i].is_object(), where + " is not an object: " + text);
    CheckBytes(headers[i], "key", event.headers[i].key, where);
    CheckBytes(headers[i], "value", event.headers[i].value, where);
  }

  const json id = doc.value("_id", json());
  const json event_id = doc.value("eventId", json(""));
  WL_CHECK(id.is_string() && !id.get<std::string>().empty(), "a record without an _id: " + text);
  WL_CHECK(event_id == json("") || id == event_id,
           "a readable event not filed under its eventId: " + text);
}

}  // namespace
}  // namespace wanderluxe

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  spdlog::set_level(spdlog::level::off);  // failures speak through WL_CHECK on stderr
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  wanderluxe::CheckOne(wanderluxe::ToEvent(data, size));
  return 0;
}
