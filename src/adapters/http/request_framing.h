// How a request's headers frame its body (RFC 9112 6), decided from the
// headers alone, before a byte of body is read, and the answer to a request
// whose body we will not read:
// - Content-Length must be one decimal number, the same each time it is
//   repeated (else 400), within the body limit (else 413);
// - Transfer-Encoding is refused with 411: a chunked body has no length to
//   hold to the limit before it is read;
// - Content-Encoding other than identity is refused with 415 when a body is
//   announced: 16 KiB of gzip can inflate to 16 MiB;
// - no length at all is an empty body (RFC 9112 6.3).
#ifndef WANDERLUXE_ADAPTERS_HTTP_REQUEST_FRAMING_H_
#define WANDERLUXE_ADAPTERS_HTTP_REQUEST_FRAMING_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "adapters/http/http_request.h"

namespace wanderluxe {

using HeaderFields = std::vector<std::pair<std::string, std::string>>;

struct BodyFraming {
  enum class Kind { kNone, kLength, kTransferEncoding, kMalformed };
  Kind kind = Kind::kNone;
  uint64_t length = 0;  // kLength: the bytes announced, saturated at UINT64_MAX

  // True when bytes of body may follow the headers.
  bool announces_body() const {
    return kind != Kind::kNone && !(kind == Kind::kLength && length == 0);
  }
};

// Header names are matched case-insensitively; values are as received, trimmed.
BodyFraming FramingOf(const HeaderFields& headers);

// The problem answer (400, 411, 413 or 415) for a request whose body cannot be
// served, or nothing when its body can be read.
std::optional<HttpResponse> FramingRefusal(const HeaderFields& headers, size_t max_body_bytes);

// The header fields of a raw request head (request line, then "name: value"
// lines, each ending in CRLF), read leniently: for the answer to a head the
// HTTP parser refused for its framing. Lines without a colon are skipped.
HeaderFields RawHeaderFields(std::string_view head);

}  // namespace wanderluxe

#endif  // WANDERLUXE_ADAPTERS_HTTP_REQUEST_FRAMING_H_
