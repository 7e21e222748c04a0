// Calls to one HTTP server over kept-alive connections (http_connection.h),
// each call under ONE deadline for the whole of it: taking a kept connection
// or connecting, sending, reading the answer, and the one retry below.
//
// Bounded: at most max_idle connections are kept between calls; a call that
// finds none opens one (it never waits for another call's), and a connection
// given back to a full pool is closed. A connection idle longer than
// max_idle_age, or that the server closed or wrote to while idle, is closed
// instead of used. max_idle 0 keeps none: every call opens a connection, sends
// `Connection: close`, and closes it after.
//
// A kept connection can have been closed by the server an instant before it
// is used (its keep-alive timeout, a restart). A call whose kept connection
// breaks before a byte of the answer arrived is sent again, once, on a new
// connection within the same deadline. Only idempotent requests may go
// through a pool: the first send may have reached the server.
//
// Thread safety: Call may run concurrently from any number of threads. One
// mutex guards the kept connections; it is never held across I/O.
#ifndef WANDERLUXE_ADAPTERS_HTTP_HTTP_CONNECTION_POOL_H_
#define WANDERLUXE_ADAPTERS_HTTP_HTTP_CONNECTION_POOL_H_

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "adapters/http/http_connection.h"
#include "wanderluxe/mutex.h"
#include "wanderluxe/status.h"
#include "wanderluxe/thread_annotations.h"

namespace wanderluxe {

struct HttpConnectionPoolOptions {
  std::string base_url;  // "http://host:port"
  size_t max_idle = 0;
  std::chrono::milliseconds max_idle_age{0};
};

class HttpConnectionPool {
 public:
  explicit HttpConnectionPool(HttpConnectionPoolOptions options);
  ~HttpConnectionPool();
  HttpConnectionPool(const HttpConnectionPool&) = delete;
  HttpConnectionPool& operator=(const HttpConnectionPool&) = delete;

  // Sends `request` and reads its answer within `timeout` of the call.
  // Errors, as values:
  //   kDeadlineExceeded  the deadline passed first (in any step), or a
  //                      connection broke after the request began to leave:
  //                      the request may have taken effect;
  //   kUnavailable       no connection could be made and nothing was sent;
  //   kInternal          an answer that is not HTTP or is over the limits
  //                      (kMaxExchangeAnswer*Bytes);
  //   kInvalidArgument   a base_url or method this cannot send.
  Result<HttpResult> Call(const HttpExchangeRequest& request, std::chrono::milliseconds timeout);

  // What the pool has done since it was made; for tests and benchmarks.
  struct Counts {
    uint64_t opened = 0;   // connections opened
    uint64_t reused = 0;   // calls sent on a kept connection
    uint64_t retried = 0;  // calls sent again after a kept connection broke
  };
  Counts counts() const;
  size_t idle() const;

 private:
  using TimePoint = HttpConnection::TimePoint;

  std::unique_ptr<HttpConnection> TakeKept(TimePoint now);
  Result<HttpResult> CallFresh(const HttpExchangeRequest& request, TimePoint deadline);
  void GiveBack(std::unique_ptr<HttpConnection> connection);

  const HttpConnectionPoolOptions options_;
  mutable Mutex mu_;
  // Newest last: a call takes the most recently used, the likeliest still open.
  std::vector<std::unique_ptr<HttpConnection>> kept_ GUARDED_BY(mu_);
  std::atomic<uint64_t> opened_{0};
  std::atomic<uint64_t> reused_{0};
  std::atomic<uint64_t> retried_{0};
};

}  // namespace wanderluxe

#endif  // WANDERLUXE_ADAPTERS_HTTP_HTTP_CONNECTION_POOL_H_
