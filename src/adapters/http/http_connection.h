// One HTTP/1.1 connection to one server, carrying one request after another
// (keep-alive), each exchange under ONE deadline that the caller passes: the
// write and every read of the answer (and the connect, in Open) end by it,
// however the server paces its bytes. A step that passes the deadline closes
// the socket. HttpConnectionPool (http_connection_pool.h) opens them and
// keeps them between calls. (HttpClient, over cpp-httplib, bounds each
// connect, read and write alone: a server answering a few bytes at a time
// holds such a call as long as it likes.)
//
// After each Exchange the connection says whether it may carry another
// request (Reusable) and, when it failed, whether it failed before a byte of
// the answer arrived (BrokeBeforeAnswer). Any doubt makes it not reusable.
//
// Thread safety: none inside. A connection belongs to one thread at a time;
// it may move between threads between calls (its io_context runs only inside
// them). Boost stays in http_connection.cc.
#ifndef WANDERLUXE_ADAPTERS_HTTP_HTTP_CONNECTION_H_
#define WANDERLUXE_ADAPTERS_HTTP_HTTP_CONNECTION_H_

#include <chrono>
#include <cstddef>
#include <memory>
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

class HttpConnection {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  // Resolves and connects to `base_url` ("http://host:port") by `deadline`.
  //   kUnavailable       no connection could be made;
  //   kDeadlineExceeded  the deadline passed while connecting;
  //   kInvalidArgument   a base_url this cannot use.
  // Name resolution counts against the deadline but cannot be interrupted:
  // numeric hosts never wait for it.
  static Result<std::unique_ptr<HttpConnection>> Open(const std::string& base_url,
                                                      TimePoint deadline);
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  // Sends `request` and reads its whole answer by `deadline`. `keep_alive`
  // false sends `Connection: close`. Errors, as values:
  //   kDeadlineExceeded  the deadline passed, or the connection broke after
  //                      the request began to leave: it may have taken effect;
  //   kInternal          an answer that is not HTTP or is over the limits;
  //   kInvalidArgument   a method this cannot send.
  Result<HttpResult> Exchange(const HttpExchangeRequest& request, TimePoint deadline,
                              bool keep_alive);

  // The last Exchange failed because the connection broke (reset, closed by
  // the server) before a byte of its answer arrived; false for a deadline.
  bool BrokeBeforeAnswer() const { return broke_before_answer_; }
  // The connection may carry another request: the last answer was read whole
  // by its framing (Content-Length or chunked, never up to a close), neither
  // side asked to close, no byte beyond it arrived, and none has since.
  // Checks the socket without blocking.
  bool Reusable() const;
  // When the last Exchange ended (or the connection was opened).
  TimePoint idle_since() const { return idle_since_; }

 private:
  struct Impl;
  explicit HttpConnection(std::unique_ptr<Impl> impl);

  std::unique_ptr<Impl> impl_;
  bool reusable_ = false;
  bool broke_before_answer_ = false;
  TimePoint idle_since_;
};

}  // namespace wanderluxe

#endif  // WANDERLUXE_ADAPTERS_HTTP_HTTP_CONNECTION_H_
