#include "wanderluxe/booking_request.h"

#include <algorithm>
#include <chrono>

#include "core/exact_json.h"
#include "core/utf8.h"

namespace wanderluxe {
namespace {

using nlohmann::json;

bool IdChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == ':' || c == '-';
}

// Why `body` is not UTF-8 JSON text as RFC 8259 §8.1 has it, or "": JSON in
// UTF-16 or UTF-32, or behind a byte order mark, is refused, not guessed at.
std::string EncodingProblem(std::string_view body) {
  if (body.starts_with("\xEF\xBB\xBF")) {
    return "starts with a byte order mark; send UTF-8 without one";
  }
  if (body.starts_with("\xFF\xFE")) return "is UTF-16 (byte order mark FF FE); send UTF-8";
  if (body.starts_with("\xFE\xFF")) return "is UTF-16 (byte order mark FE FF); send UTF-8";
  // JSON text begins with an ASCII character, which UTF-16 and UTF-32 write
  // with a NUL byte among the first two.
  if (body.substr(0, 2).find('\0') != std::string_view::npos) {
    return "holds NUL bytes, as UTF-16 or UTF-32 text would; send UTF-8";
  }
  return "";
}

// Fields the API knows; anything else is reported rather than silently ignored.
constexpr std::string_view kKnownFields[] = {"bookingId", "propertyId",  "userId",      "amount",
                                             "currency",  "checkInDate", "checkOutDate"};

class Validator {
 public:
  Validator(const ExactJson& doc, const RequestLimits& limits) : doc_(doc), limits_(limits) {}

  ParsedRequest Run() {
    BookingRequest r;
    for (const auto& [name, unused] : doc_.value.items()) {
      if (std::find(std::begin(kKnownFields), std::end(kKnownFields), name) ==
          std::end(kKnownFields)) {
        Fail(name, "is not a known field");
      }
    }
    r.booking_id = Id("bookingId");
    r.property_id = Id("propertyId");
    if (doc_.value.contains("userId")) r.user_id = Id("userId");
    r.amount.currency = Currency();
    r.amount.minor_units = Amount(r.amount.currency);
    Dates(r);
    ParsedRequest out;
    out.errors = std::move(errors_);
    if (out.errors.empty()) out.request = std::move(r);
    return out;
  }

 private:
  void Fail(std::string field, std::string detail) {
    errors_.push_back({std::move(field), std::move(detail)});
  }

  const json* Required(const char* field) {
    auto it = doc_.value.find(field);
    if (it == doc_.value.end() || it->is_null()) {
      Fail(field, "is required");
      return nullptr;
    }
    return &*it;
  }

  const std::string* String(const char* field, const json* value) {
    if (value == nullptr) return nullptr;
    if (!value->is_string()) {
      Fail(field, std::string("must be a string, got ") + value->type_name());
      return nullptr;
    }
    return value->get_ptr<const std::string*>();
  }

  std::string Id(const char* field) {
    const std::string* s = String(field, Required(field));
    if (s == nullptr) return "";
    if (!IsValidId(*s)) {
      Fail(field, "must be 1-64 characters of A-Z a-z 0-9 . _ : -");
      return "";
    }
    return *s;
  }

  std::string Currency() {
    const std::string* s = String("currency", Required("currency"));
    if (s == nullptr) return "";
    if (std::find(limits_.currencies.begin(), limits_.currencies.end(), *s) ==
        limits_.currencies.end()) {
      std::string list;
      for (const auto& c : limits_.currencies) list += (list.empty() ? "" : ", ") + c;
      Fail("currency", "'" + *s + "' is not accepted; accepted: " + list);
      return "";
    }
    return *s;
  }

  int64_t Amount(const std::string& currency) {
    const json* value = Required("amount");
    if (value == nullptr) return 0;
    if (!value->is_number()) {
      Fail("amount", std::string("must be a JSON number, got ") + value->type_name());
      return 0;
    }
    if (currency.empty()) return 0;  // precision depends on a valid currency
    const std::string& text = doc_.number_text.at("/amount");
    auto minor = ParseDecimalAmount(text, CurrencyMinorDigits(currency));
    if (!minor.ok()) {
      const bool negative = !text.empty() && text[0] == '-';
      Fail("amount", negative ? "must be greater than zero" : minor.status().message());
      return 0;
    }
    if (*minor <= 0) {
      Fail("amount", "must be greater than zero");
    } else if (*minor > limits_.max_amount_minor) {
      Fail("amount",
           "must be at most " +
               FormatDecimalAmount(limits_.max_amount_minor, CurrencyMinorDigits(currency)) + " " +
               currency);
    }
    return *minor;
  }

  void Dates(BookingRequest& r) {
    const bool has_in = doc_.value.contains("checkInDate");
    const bool has_out = doc_.value.contains("checkOutDate");
    if (!has_in && !has_out) return;
    if (has_in != has_out) {
      Fail(has_in ? "checkOutDate" : "checkInDate", "is required when the other date is given");
    }
    for (auto [field, target] :
         {std::pair{"checkInDate", &r.check_in}, std::pair{"checkOutDate", &r.check_out}}) {
      if (!doc_.value.contains(field)) continue;
      const std::string* s = String(field, &doc_.value.at(field));
      if (s == nullptr) continue;
      if (!IsValidIsoDate(*s)) {
        Fail(field, "must be a calendar date written YYYY-MM-DD");
        continue;
      }
      *target = *s;
    }
    // ISO dates compare correctly as text.
    if (!r.check_in.empty() && !r.check_out.empty() && r.check_in >= r.check_out) {
      Fail("checkOutDate", "must be after checkInDate");
    }
  }

  const ExactJson& doc_;
  const RequestLimits& limits_;
  std::vector<FieldError> errors_;
};

}  // namespace

bool IsValidId(std::string_view id) {
  return !id.empty() && id.size() <= 64 && std::all_of(id.begin(), id.end(), IdChar);
}

bool IsValidClientId(std::string_view id) {
  if (id.empty() || id.size() > kMaxClientIdBytes) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

bool IsValidStoredBookingId(std::string_view client_id, std::string_view booking_id) {
  if (client_id.empty()) return IsValidId(booking_id);
  return IsValidClientId(client_id) && IsValidId(ShownBookingId(client_id, booking_id));
}

std::string ScopedBookingId(std::string_view client_id, std::string_view booking_id) {
  if (client_id.empty()) return std::string(booking_id);
  std::string scoped;
  scoped.reserve(client_id.size() + 1 + booking_id.size());
  scoped.append(client_id).append("/").append(booking_id);
  return scoped;
}

std::string_view ShownBookingId(std::string_view client_id, std::string_view scoped_id) {
  if (client_id.empty()) return scoped_id;
  if (scoped_id.size() > client_id.size() && scoped_id.substr(0, client_id.size()) == client_id &&
      scoped_id[client_id.size()] == '/') {
    return scoped_id.substr(client_id.size() + 1);
  }
  return scoped_id;
}

bool IsValidIdempotencyKey(std::string_view key) {
  return !key.empty() && key.size() <= 255 &&
         std::all_of(key.begin(), key.end(), [](char c) { return c >= 0x21 && c <= 0x7e; });
}

bool IsValidIsoDate(std::string_view date) {
  if (date.size() != 10 || date[4] != '-' || date[7] != '-') return false;
  auto number = [&](size_t pos, size_t len) {
    int v = 0;
    for (size_t i = pos; i < pos + len; ++i) {
      if (date[i] < '0' || date[i] > '9') return -1;
      v = v * 10 + (date[i] - '0');
    }
    return v;
  };
  const int y = number(0, 4), m = number(5, 2), d = number(8, 2);
  if (y < 0 || m < 0 || d < 0) return false;
  return std::chrono::year_month_day(std::chrono::year(y), std::chrono::month(m),
                                     std::chrono::day(d))
      .ok();
}

ParsedRequest ParseBookingRequest(std::string_view body, const RequestLimits& limits) {
  auto body_error = [](std::string detail) {
    return ParsedRequest{std::nullopt,
                         {{std::string(kBodyField), std::move(detail), FieldError::Kind::kBody}}};
  };
  if (std::string problem = EncodingProblem(body); !problem.empty()) return body_error(problem);
  if (const size_t bad = FirstInvalidUtf8(body); bad != std::string_view::npos) {
    // Named after the member it is in when there is one, so a client knows what to fix.
    const std::string member = TopLevelMemberAt(body, bad);
    const std::string detail = "is not valid UTF-8 (byte " + std::to_string(bad) + ")";
    if (member.empty()) return body_error(detail);
    return {std::nullopt, {{member, detail}}};
  }
  auto doc = ParseExactJson(body);
  if (!doc.ok()) return body_error("is not valid JSON: " + doc.status().message());
  if (!doc->value.is_object()) return body_error("must be a JSON object");
  return Validator(*doc, limits).Run();
}

}  // namespace wanderluxe
