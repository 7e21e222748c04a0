#include "adapters/http/request_framing.h"

#include <strings.h>

#include <limits>

#include "wanderluxe/api_response.h"

namespace wanderluxe {
namespace {

bool NameIs(const std::string& name, const char* wanted) {
  return strcasecmp(name.c_str(), wanted) == 0;
}

// 1*DIGIT, saturated at the maximum; nothing for any other text.
std::optional<uint64_t> DecimalLength(const std::string& value) {
  if (value.empty() || value.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  uint64_t length = 0;
  for (char c : value) {
    const uint64_t digit = static_cast<uint64_t>(c - '0');
    length = length > (kMax - digit) / 10 ? kMax : length * 10 + digit;
  }
  return length;
}

std::string_view TrimSpace(std::string_view s) {
  const size_t begin = s.find_first_not_of(" \t");
  if (begin == std::string_view::npos) return {};
  return s.substr(begin, s.find_last_not_of(" \t") - begin + 1);
}

}  // namespace

BodyFraming FramingOf(const HeaderFields& headers) {
  BodyFraming framing;
  for (const auto& [name, value] : headers) {
    if (NameIs(name, "Transfer-Encoding")) return {BodyFraming::Kind::kTransferEncoding};
  }
  for (const auto& [name, value] : headers) {
    if (!NameIs(name, "Content-Length")) continue;
    const std::optional<uint64_t> length = DecimalLength(value);
    if (!length || (framing.kind == BodyFraming::Kind::kLength && framing.length != *length)) {
      return {BodyFraming::Kind::kMalformed};
    }
    framing = {BodyFraming::Kind::kLength, *length};
  }
  return framing;
}

std::optional<HttpResponse> FramingRefusal(const HeaderFields& headers, size_t max_body_bytes) {
  const BodyFraming framing = FramingOf(headers);
  if (framing.announces_body()) {
    for (const auto& [name, value] : headers) {
      if (NameIs(name, "Content-Encoding") && strcasecmp(value.c_str(), "identity") != 0) {
        return ProblemResponse(415, "Unsupported Media Type",
                               "Content-Encoding is not accepted; send the body uncompressed");
      }
    }
  }
  switch (framing.kind) {
    case BodyFraming::Kind::kMalformed:
      return ProblemResponse(400, "Bad Request",
                             "Content-Length must be one decimal number of bytes");
    case BodyFraming::Kind::kTransferEncoding:
      return ProblemResponse(411, "Length Required",
                             "send the body with a Content-Length; Transfer-Encoding is not "
                             "accepted");
    case BodyFraming::Kind::kLength:
      if (framing.length <= max_body_bytes) return std::nullopt;
      return ProblemResponse(
          413, "Payload Too Large",
          "the request body exceeds the limit of " + std::to_string(max_body_bytes) + " bytes");
    case BodyFraming::Kind::kNone:
      return std::nullopt;
  }
  return std::nullopt;
}

HeaderFields RawHeaderFields(std::string_view head) {
  HeaderFields fields;
  size_t line_end = head.find("\r\n");  // past the request line
  while (line_end != std::string_view::npos) {
    const size_t start = line_end + 2;
    line_end = head.find("\r\n", start);
    const std::string_view line = head.substr(start, line_end - start);
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) continue;
    fields.emplace_back(std::string(line.substr(0, colon)),
                        std::string(TrimSpace(line.substr(colon + 1))));
  }
  return fields;
}

}  // namespace wanderluxe
