// libFuzzer target: what the gateway runs on POST /api/v1/bookings. Headers
// and body go to BookingIntake::Submit (validation, the idempotency claim, the
// event it publishes) through the in-memory fakes of its ports.
//
// Input: a header block, an empty line, then the body, as a client writes them:
//   Idempotency-Key: 6f1c0e52-...\n
//   Content-Type: application/json\n
//   \n
//   {"bookingId":"b-1001", ...}
// An input with no empty line is all body, sent with kDefaultKey as its
// Idempotency-Key and application/json, so mutations of a bare body reach the
// validator.
//
// Properties; a failure aborts through WL_CHECK, so libFuzzer keeps the input:
//   - Submit never throws; it answers 202, 400 or 415 with a JSON body in
//     strict UTF-8.
//   - 415 exactly when the content type is not JSON; else 202 exactly when the
//     key is valid and the validator accepts the body.
//   - 202: one event published; decoding it gives the request the body spelled
//     (ids, currency, dates as written; the amount an integer count of minor
//     units, > 0, at most the limit, equal to the JSON number); the same
//     request again is replayed, not published twice.
//   - 400: at least one error, each saying what is wrong and naming a member
//     of the body or a field the API knows (with its RFC 6901 pointer), the
//     Idempotency-Key, or, only when the body is no JSON object, the body as a
//     whole; a bad key and a malformed body are always named.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "booking_oracles.h"
#include "fakes/fake_ports.h"
#include "strict_utf8.h"
#include "wanderluxe/booking_event.h"
#include "wanderluxe/booking_intake.h"
#include "wanderluxe/check.h"
#include "wanderluxe/config.h"
#include "wanderluxe/metrics.h"

namespace wanderluxe {
namespace {

using fuzz::AmountMatches;
using fuzz::IsCalendarDate;
using fuzz::IsGoodId;
using nlohmann::json;

constexpr std::string_view kDefaultKey = "fuzz-key-1";
constexpr std::string_view kByteOrderMark = "\xef\xbb\xbf";
constexpr std::string_view kKnownFields[] = {"bookingId", "propertyId",  "userId",      "amount",
                                             "currency",  "checkInDate", "checkOutDate"};

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

// HTTP's optional whitespace around a header value.
std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

IntakeRequest ToRequest(std::string_view input) {
  IntakeRequest r;
  const size_t blank = input.find("\n\n");
  if (blank == std::string_view::npos) {
    r.has_idempotency_key = true;
    r.idempotency_key = kDefaultKey;
    r.content_type = "application/json";
    r.body = input;
    return r;
  }
  r.body = input.substr(blank + 2);
  std::string_view block = input.substr(0, blank);
  while (!block.empty()) {
    const size_t eol = block.find('\n');
    std::string_view line = block.substr(0, eol);
    block = eol == std::string_view::npos ? std::string_view() : block.substr(eol + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string_view name = line.substr(0, colon);
    const std::string value(TrimOws(line.substr(colon + 1)));
    if (EqualsIgnoreCase(name, "Idempotency-Key")) {
      r.has_idempotency_key = true;
      r.idempotency_key = value;
    } else if (EqualsIgnoreCase(name, "Content-Type")) {
      r.content_type = value;
    } else if (EqualsIgnoreCase(name, "Authorization")) {
      r.authorization = value;
    }
  }
  return r;
}

// The oracles below read the request on their own, not through the code
// under test.

bool IsJsonMediaType(std::string_view type) {
  return EqualsIgnoreCase(TrimOws(type.substr(0, type.find(';'))), "application/json");
}

bool IsGoodKey(const IntakeRequest& r) {
  if (!r.has_idempotency_key || r.idempotency_key.empty() || r.idempotency_key.size() > 255) {
    return false;
  }
  for (char c : r.idempotency_key) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

bool IsKnownField(std::string_view field) {
  for (auto known : kKnownFields) {
    if (known == field) return true;
  }
  return false;
}

// The body as a careful reader sees it: a JSON object naming no member twice
// at any depth, or nothing. (nlohmann skips a leading byte order mark.)
std::optional<json> BodyObject(const std::string& body) {
  std::vector<std::set<std::string>> open_objects;
  bool duplicate = false;
  json::parser_callback_t note_keys = [&](int, json::parse_event_t event, json& parsed) {
    if (event == json::parse_event_t::object_start) open_objects.emplace_back();
    if (event == json::parse_event_t::object_end) open_objects.pop_back();
    if (event == json::parse_event_t::key &&
        !open_objects.back().insert(parsed.get<std::string>()).second) {
      duplicate = true;
    }
    return true;
  };
  json doc = json::parse(body, note_keys, /*allow_exceptions=*/false);
  if (doc.is_discarded() || duplicate || !doc.is_object()) return std::nullopt;
  return doc;
}

// The strings a body spells, read token by token where the body as a whole
// is no JSON: a member the error names must be one of them.
std::set<std::string> StringsInText(std::string_view body) {
  std::set<std::string> strings;
  for (size_t open = body.find('"'); open != std::string_view::npos;) {
    size_t close = open + 1;
    while (close < body.size() && body[close] != '"') close += body[close] == '\\' ? 2 : 1;
    if (close >= body.size()) break;
    const json token =
        json::parse(body.substr(open, close + 1 - open), nullptr, /*allow_exceptions=*/false);
    if (token.is_string()) strings.insert(token.get<std::string>());
    open = body.find('"', close + 1);
  }
  return strings;
}

std::string StringMember(const json& doc, const char* name) {
  auto it = doc.find(name);
  return it != doc.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// "#/" and the field as one JSON pointer token (RFC 6901: ~ is ~0, / is ~1).
std::string PointerTo(const std::string& field) {
  std::string out = "#/";
  for (char c : field) {
    out += c == '~' ? "~0" : c == '/' ? "~1" : std::string(1, c);
  }
  return out;
}

std::string Header(const ApiResponse& r, std::string_view name) {
  for (const auto& [key, value] : r.headers) {
    if (EqualsIgnoreCase(key, name)) return value;
  }
  return "";
}

// The fakes answer on the calling thread, so the answer is in when Submit
// returns: given exactly once, never an exception.
ApiResponse SubmitOrDie(BookingIntake& intake, const IntakeRequest& request) {
  std::optional<ApiResponse> answer;
  int answers = 0;
  try {
    intake.Submit(request, [&](ApiResponse r) {
      ++answers;
      answer = std::move(r);
    });
  } catch (const std::exception& e) {
    WL_CHECK(false, std::string("Submit threw: ") + e.what());
  }
  WL_CHECK(answers == 1, "Submit answered " + std::to_string(answers) + " times");
  return std::move(*answer);
}

void CheckAccepted(const IntakeRequest& in, const ApiResponse& response, const json& answer,
                   const BookingRequest& parsed, const json& body, fakes::FakeProducer& producer,
                   const RequestLimits& limits) {
  for (const auto& [name, unused] : body.items()) {
    WL_CHECK(IsKnownField(name), "202 for a body with the unknown member " + name);
  }
  WL_CHECK(parsed.booking_id == StringMember(body, "bookingId") && IsGoodId(parsed.booking_id),
           "bookingId accepted is not the valid id the body wrote: " + parsed.booking_id);
  WL_CHECK(parsed.property_id == StringMember(body, "propertyId") && IsGoodId(parsed.property_id),
           "propertyId accepted is not the valid id the body wrote: " + parsed.property_id);
  WL_CHECK(parsed.user_id == StringMember(body, "userId") &&
               (parsed.user_id.empty() ? !body.contains("userId") : IsGoodId(parsed.user_id)),
           "userId accepted is not the valid id the body wrote: " + parsed.user_id);
  const Money& money = parsed.amount;
  WL_CHECK(money.currency == StringMember(body, "currency") &&
               std::find(limits.currencies.begin(), limits.currencies.end(), money.currency) !=
                   limits.currencies.end(),
           "currency accepted is not the configured one the body wrote: " + money.currency);
  WL_CHECK(money.minor_units > 0 && money.minor_units <= limits.max_amount_minor,
           "amount accepted outside (0, max]: " + std::to_string(money.minor_units));
  WL_CHECK(AmountMatches(body.at("amount"), money.minor_units, CurrencyMinorDigits(money.currency)),
           "amount " + body.at("amount").dump() + " accepted as " +
               std::to_string(money.minor_units) + " minor units of " + money.currency);
  WL_CHECK(parsed.check_in == StringMember(body, "checkInDate") &&
               parsed.check_out == StringMember(body, "checkOutDate") &&
               parsed.check_in.empty() == parsed.check_out.empty() &&
               (parsed.check_in.empty() ||
                (IsCalendarDate(parsed.check_in) && IsCalendarDate(parsed.check_out) &&
                 parsed.check_in < parsed.check_out)),
           "dates accepted are not the ordered pair the body wrote: " + parsed.check_in + " " +
               parsed.check_out);

  const std::vector<OutgoingEvent> published = producer.Published();
  WL_CHECK(published.size() == 1, "202 after " + std::to_string(published.size()) + " publishes");
  const OutgoingEvent& event = published[0];
  WL_CHECK(event.key == parsed.property_id, "event key is not the propertyId: " + event.key);
  bool key_header = false;
  for (const auto& h : event.headers) key_header |= h.key == "idempotency-key";
  WL_CHECK(key_header, "event carries no idempotency-key header");
  auto decoded = DecodeBookingEvent(event.value);
  WL_CHECK(decoded.ok(), "the published event does not decode: " + decoded.status().ToString() +
                             " in " + event.value);
  WL_CHECK(decoded->request == parsed,
           "the published event decodes to another request: " + event.value);
  WL_CHECK(decoded->metadata.idempotency_key == in.idempotency_key,
           "the published event lost the Idempotency-Key: " + event.value);

  WL_CHECK(answer.value("bookingId", "") == parsed.booking_id &&
               answer.value("eventId", "") == decoded->event_id &&
               answer.value("status", "") == "ACCEPTED",
           "202 body does not describe the event: " + response.body);
  WL_CHECK(Header(response, "Location") == "/api/v1/bookings/" + parsed.booking_id,
           "202 Location is " + Header(response, "Location"));
}

// An error names a member of the body (with its JSON pointer), the
// Idempotency-Key header, or the body as a whole ("" or "body", no pointer).
// A body that is no JSON object may still have its error pinned on the member
// whose value is bad (bytes that are not UTF-8 in a string, say).
void CheckRejected(const IntakeRequest& in, const ApiResponse& response, const json& answer,
                   const std::optional<json>& body) {
  WL_CHECK(answer.value("status", 0) == 400, "400 whose problem says " + response.body);
  const json errors = answer.value("errors", json::array());
  WL_CHECK(errors.is_array() && !errors.empty(), "400 naming no error: " + response.body);
  // RFC 8259 lets a reader ignore a byte order mark or refuse the text, and
  // JSON text is UTF-8 (§8.1): bytes that are not (in a member's name, say,
  // where no member can be named) may be refused as the body's.
  const bool may_refuse_body =
      !body.has_value() || in.body.starts_with(kByteOrderMark) || !fuzz::IsStrictUtf8(in.body);
  const std::set<std::string> strings_in_text =
      body.has_value() ? std::set<std::string>() : StringsInText(in.body);
  auto is_member = [&](const std::string& name) {
    return body.has_value() ? body->contains(name) : strings_in_text.count(name) > 0;
  };
  bool names_key = false, names_body_or_member = false;
  for (const json& e : errors) {
    WL_CHECK(e.is_object() && e.value("field", json()).is_string() &&
                 !e.value("detail", std::string()).empty(),
             "an error without a field or a detail: " + e.dump());
    const std::string field = e.at("field").get<std::string>();
    if (e.contains("pointer")) {
      names_body_or_member = true;
      WL_CHECK(e.at("pointer") == PointerTo(field),
               "an error whose pointer is not the JSON pointer of its field: " + e.dump());
      WL_CHECK(IsKnownField(field) || is_member(field),
               "an error naming a member the body does not have: " + e.dump());
    } else if (field == "Idempotency-Key") {
      names_key = true;
      WL_CHECK(!IsGoodKey(in), "an Idempotency-Key error for a good key: " + e.dump());
    } else {
      names_body_or_member = true;
      WL_CHECK(field.empty() || field == "body",
               "an error naming a member without its pointer: " + e.dump());
      WL_CHECK(may_refuse_body, "a body-level error for a well-formed JSON object: " + e.dump());
    }
  }
  WL_CHECK(IsGoodKey(in) || names_key, "a bad Idempotency-Key not named: " + response.body);
  WL_CHECK(body.has_value() || names_body_or_member,
           "a malformed body not named: " + response.body);
}

void CheckOne(const IntakeRequest& in) {
  IntakeOptions options;
  const GatewayConfig defaults;
  options.limits = {defaults.currencies, defaults.max_amount_minor};
  fakes::Faults faults;
  fakes::FakeIdempotencyStore idempotency(faults);
  fakes::FakeProducer producer(faults);
  MetricsRegistry metrics;
  BookingIntake intake(options, idempotency, producer, metrics);

  const ApiResponse response = SubmitOrDie(intake, in);
  WL_CHECK(fuzz::IsStrictUtf8(response.body), "response body is not UTF-8: " + response.body);
  const json answer = json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  WL_CHECK(answer.is_object(), "response body is not a JSON object: " + response.body);

  const ParsedRequest parsed = ParseBookingRequest(in.body, options.limits);
  WL_CHECK(parsed.request.has_value() == parsed.errors.empty(),
           "the validator both accepted and rejected");
  const std::optional<json> body = BodyObject(in.body);
  if (!IsJsonMediaType(in.content_type)) {
    WL_CHECK(response.status == 415,
             "content type '" + in.content_type + "' answered " + std::to_string(response.status));
    return;
  }
  const bool accept = IsGoodKey(in) && parsed.request.has_value();
  WL_CHECK(response.status == (accept ? 202 : 400),
           "answered " + std::to_string(response.status) + ": " + response.body);
  if (!accept) {
    CheckRejected(in, response, answer, body);
    return;
  }
  WL_CHECK(body.has_value(), "202 for a body that is no well-formed JSON object");
  CheckAccepted(in, response, answer, *parsed.request, *body, producer, options.limits);

  const ApiResponse again = SubmitOrDie(intake, in);
  WL_CHECK(again.status == 202 && again.body == response.body &&
               Header(again, "Idempotent-Replayed") == "true" && producer.Published().size() == 1,
           "the same request again was not replayed: " + std::to_string(again.status));
}

}  // namespace
}  // namespace wanderluxe

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  spdlog::set_level(spdlog::level::off);  // failures speak through WL_CHECK on stderr
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  wanderluxe::CheckOne(wanderluxe::ToRequest(input));
  return 0;
}
