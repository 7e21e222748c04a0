// The audit encoder (MakeAuditRecord, AuditRecord::ToJson) on hostile bytes:
// it never throws, stores every byte string as text or as marked base64 that
// decodes back to the same bytes, and never hands the archive a document it
// must refuse for good (FerretDB's PostgreSQL refuses U+0000, and an index
// row over 2,704 bytes).
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "wanderluxe/audit_record.h"

namespace wanderluxe {
namespace {

using nlohmann::json;

std::string Base64Decode(const std::string& in) {
  static const std::string kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  uint32_t bits = 0;
  int count = 0;
  for (char c : in) {
    if (c == '=') break;
    bits = (bits << 6) | static_cast<uint32_t>(kAlphabet.find(c));
    count += 6;
    if (count >= 8) {
      count -= 8;
      out += static_cast<char>((bits >> count) & 0xff);
    }
  }
  return out;
}

std::string Hex(const std::string& bytes) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) out += std::string{kDigits[c >> 4], kDigits[c & 15], ' '};
  return out;
}

// Whether any string (or field name) in `doc` holds U+0000.
bool HasNul(const json& doc) {
  if (doc.is_string()) return doc.get<std::string>().find('\0') != std::string::npos;
  for (auto it = doc.begin(); it != doc.end(); ++it) {
    if (doc.is_object() && it.key().find('\0') != std::string::npos) return true;
    if ((doc.is_object() || doc.is_array()) && HasNul(it.value())) return true;
  }
  return false;
}

// The bytes a field of the archived JSON stands for: decoded when marked base64.
std::string Archived(const json& holder, const std::string& field, const std::string& flag) {
  const std::string text = holder.at(field).get<std::string>();
  return holder.at(flag).get<bool>() ? Base64Decode(text) : text;
}

ConsumedEvent Hostile(const std::string& bytes) {
  return {"booking.requests", 0, 7, bytes, bytes, {{bytes, bytes}}, 1'700'000'000'000};
}

// Archives `bytes` as key, value, header name and header value; the reason
// when any of them does not come back byte for byte, else empty.
std::string RoundTrip(const std::string& bytes) {
  std::string text;
  try {
    text = MakeAuditRecord(Hostile(bytes), "2026-01-01T00:00:00.000Z").ToJson();
  } catch (const std::exception& e) {
    return "ToJson threw: " + std::string(e.what());
  }
  const json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return "not JSON: " + text;
  try {
    if (Archived(doc, "value", "valueBase64") != bytes) return "value differs: " + text;
    if (Archived(doc, "key", "keyBase64") != bytes) return "key differs: " + text;
    const json& header = doc.at("headers").at(0);
    if (Archived(header, "key", "keyBase64") != bytes) return "header name differs: " + text;
    if (Archived(header, "value", "valueBase64") != bytes) return "header value differs: " + text;
  } catch (const json::exception& e) {
    return std::string(e.what()) + ": " + text;
  }
  if (HasNul(doc)) return "U+0000 in the document: " + text;
  return "";
}

// Checks RoundTrip for each of `inputs`; reports the first few that fail.
void CheckRoundTrips(const std::vector<std::string>& inputs) {
  int failures = 0;
  for (const std::string& bytes : inputs) {
    const std::string why = RoundTrip(bytes);
    if (why.empty()) continue;
    if (++failures <= 5) MESSAGE("bytes [", Hex(bytes), "]: ", why);
  }
  CHECK_MESSAGE(failures == 0, failures, " of ", inputs.size(), " byte strings do not round-trip");
}

json Archive(const ConsumedEvent& event) {
  return json::parse(MakeAuditRecord(event, "2026-01-01T00:00:00.000Z").ToJson());
}

ConsumedEvent WithValue(const std::string& value) {
  return {"booking.requests", 2, 9, "prop", value, {{"traceparent", "t"}}, 1'700'000'000'000};
}

// A value that is not UTF-8 (RFC 3629) is archived base64, and encoding it does not throw.
void CheckValueNotText(const std::string& bytes) {
  const AuditRecord r = MakeAuditRecord(WithValue(bytes), "2026-01-01T00:00:00.000Z");
  CHECK_MESSAGE(r.value_base64, "bytes [", Hex(bytes), "]");
  CHECK_NOTHROW(r.ToJson());
}

TEST_SUITE("unit.audit_record") {
  TEST_CASE("an overlong form (C0 AF) is not text: archived base64, no throw") {
    CheckValueNotText("a\xc0\xaf");
    CheckValueNotText("\xe0\x9f\xbf");      // U+07FF in three bytes
    CheckValueNotText("\xf0\x8f\xbf\xbf");  // U+FFFF in four bytes
    CHECK(RoundTrip("a\xc0\xaf") == "");
  }

  TEST_CASE("a surrogate (ED A0 80) is not text: archived base64, no throw") {
    CheckValueNotText("\xed\xa0\x80");
    CheckValueNotText("\xed\xbf\xbf");  // U+DFFF
    CHECK(RoundTrip("\xed\xa0\x80") == "");
  }

  TEST_CASE("a lead byte past U+10FFFF (F5 80 80 80) is not text: archived base64, no throw") {
    CheckValueNotText("\xf5\x80\x80\x80");
    CheckValueNotText("\xf4\x90\x80\x80");  // U+110000
    CheckValueNotText("\xf7\xbf\xbf\xbf");
    CHECK(RoundTrip("\xf5\x80\x80\x80") == "");
  }

  TEST_CASE("a header name that is not UTF-8 is archived base64 and marked") {
    ConsumedEvent event = WithValue(R"({"eventId":"e-1"})");
    event.headers = {{"ok", "fine"}, {"bad\xff", "v"}};
    json doc;
    REQUIRE_NOTHROW(doc = Archive(event));
    CHECK(Archived(doc["headers"][0], "key", "keyBase64") == "ok");
    CHECK(Archived(doc["headers"][1], "key", "keyBase64") == "bad\xff");
    CHECK(doc["headers"][1]["keyBase64"] == true);
  }

  TEST_CASE("a key or header value that is not UTF-8 is marked base64, not silently encoded") {
    ConsumedEvent event = WithValue(R"({"eventId":"e-1"})");
    event.key = "\xfe";
    event.headers = {{"h", "\xff"}};
    const json doc = Archive(event);
    CHECK(doc["keyBase64"] == true);
    CHECK(Archived(doc, "key", "keyBase64") == "\xfe");
    CHECK(doc["headers"][0]["valueBase64"] == true);
  }

  TEST_CASE("U+0000, which FerretDB's PostgreSQL refuses, never reaches the document") {
    CHECK(RoundTrip(std::string("a\0b", 3)) == "");
    // An eventId holding U+0000 (escaped in the JSON text) is not an archive id.
    const json doc = Archive(WithValue(R"({"eventId":"e\u0000","payload":{"bookingId":"b-1"}})"));
    CHECK(doc["_id"].get<std::string>().rfind("raw:", 0) == 0);
    CHECK(doc["decodeError"] != "");
    CHECK_FALSE(HasNul(doc));
  }

  TEST_CASE("ids too long for an index row are not used as ids") {
    const std::string long_id(3000, 'x');
    const json by_event = Archive(WithValue(R"({"eventId":")" + long_id + R"("})"));
    CHECK(by_event["_id"].get<std::string>().size() < 512);
    CHECK(by_event["eventId"] == "");
    CHECK(by_event["decodeError"] != "");
    const json by_booking =
        Archive(WithValue(R"({"eventId":"e-1","payload":{"bookingId":")" + long_id + R"("}})"));
    CHECK(by_booking["_id"] == "e-1");
    CHECK(by_booking["bookingId"] == "");
  }

  TEST_CASE("unreadable events: the same one twice has one id, two different ones two") {
    const json first = Archive(WithValue("not json"));
    CHECK(first["_id"] == Archive(WithValue("not json"))["_id"]);
    // The same coordinates on a recreated topic: another event, another id.
    CHECK(first["_id"] != Archive(WithValue("also not json"))["_id"]);
    ConsumedEvent later = WithValue("not json");
    later.timestamp_ms += 1;
    CHECK(first["_id"] != Archive(later)["_id"]);
  }
}

// Exhaustive and random round-trips: pure and single-threaded, run in the
// plain build only (scripts/test: the sanitizers see this code under the
// audit_record fuzzer).
TEST_SUITE("unit.audit_record_exhaustive") {
  TEST_CASE("every byte string of up to two bytes round-trips") {
    std::vector<std::string> inputs = {""};
    for (int a = 0; a < 256; ++a) {
      inputs.push_back(std::string(1, static_cast<char>(a)));
      for (int b = 0; b < 256; ++b) {
        inputs.push_back(std::string{static_cast<char>(a), static_cast<char>(b)});
      }
    }
    CheckRoundTrips(inputs);
  }

  TEST_CASE("random byte strings around every UTF-8 boundary round-trip") {
    // Bytes where UTF-8 changes meaning, and plain text around them.
    const std::vector<unsigned char> alphabet = {
        0x00, 0x01, 0x22, 0x5c, 0x61, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf,
        0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xe1, 0xec, 0xed, 0xee, 0xef, 0xf0, 0xf1,
        0xf3, 0xf4, 0xf5, 0xf7, 0xf8, 0xfb, 0xfc, 0xfd, 0xfe, 0xff};
    std::mt19937 rng(20260101);
    std::uniform_int_distribution<size_t> length(1, 8), pick(0, alphabet.size() - 1);
    std::vector<std::string> inputs;
    for (int i = 0; i < 30'000; ++i) {
      std::string s(length(rng), '\0');
      for (char& c : s) c = static_cast<char>(alphabet[pick(rng)]);
      inputs.push_back(s);
    }
    CheckRoundTrips(inputs);
  }
}

}  // namespace
}  // namespace wanderluxe
