// One HTTP/1.1 request on a connection of its own, under ONE deadline for the
// whole exchange: connecting, sending the request and reading the whole answer.
// HttpClient (cpp-httplib) bounds each connect, read and write on its own, so
// a server that answers a few bytes at a time holds a call for as long as it
// likes; here a Boost.Beast stream's single expiry covers every step and
// closes the socket when it passes, whatever step it was in. For calls whose
// callers budget their time (the bank's: a lease must outlast them).
//
// Name resolution (getaddrinfo) runs first and counts against the deadline,
// but a resolver that hangs is bounded only by resolv.conf's own timeouts:
// nothing can interrupt getaddrinfo. Numeric hosts never wait for it.
//
// Keeps no state: every call has its own io_context, socket and buffers, so
// calls may run concurrently from any number of threads. Boost stays in
// http_exchange.cc.
#ifndef WANDERLUXE_ADAPTERS_HTTP_HTTP_EXCHANGE_H_
#define WANDERLUXE_ADAPTERS_HTTP_HTTP_EXCHANGE_H_

#include <chrono>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "adapters/http/http_client.h"
#include "wanderluxe/status.h"

namespace wanderluxe {

// The largest answer an exchange reads: past either limit it is kInternal.
inline constexpr size_t kMaxExchangeAnswerHeadBytes = 8 * 1024;
inline constexpr size_t kMaxExchangeAnswerBodyBytes = 64 * 1024;

struct HttpExchangeRequest {
  std::string method;  // GET, POST, PUT, DELETE, PATCH
  std::string target;  // "/v1/charges"
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // sent with content_type when not empty
  std::string content_type = "application/json";
};

// Sends `request` to `base_url` ("http://host:port") and reads its answer,
// all within `timeout` of the call. Errors, as values:
//   kDeadlineExceeded  the deadline passed first (in any step), or the
//                      connection broke after the request began to leave:
//                      the request may have taken effect;
//   kUnavailable       no connection could be made: it did not;
//   kInternal          an answer that is not HTTP or is over the limits above;
//   kInvalidArgument   a base_url or method this cannot send.
Result<HttpResult> HttpExchange(const std::string& base_url, const HttpExchangeRequest& request,
                                std::chrono::milliseconds timeout);

}  // namespace wanderluxe

#endif  // WANDERLUXE_ADAPTERS_HTTP_HTTP_EXCHANGE_H_
