// An HTTP server behind our own small types, so that httplib.h is compiled in
// one translation unit only. Every error it produces is application/problem+json
// (RFC 9457). What it decides before any handler runs:
// - Routing: 404 for an unknown path; 405 with Allow for any other method on a
//   known one (TRACE, OPTIONS, CONNECT, methods no library knows); HEAD is
//   served by the GET route, without the body.
// - Body framing, from the headers alone, before a byte of body is read:
//   Content-Length must be one decimal number (else 400) within max_body_bytes
//   (else 413); Transfer-Encoding is refused with 411 (a chunked body has no
//   limit before it is read), Content-Encoding with 415 (it inflates past the
//   limit); no length at all is an empty body (RFC 9112 6.3).
//   An answer given without reading a body that was announced closes the
//   connection, so that body is never taken for the next request.
// - A handler that throws is answered 500.
#ifndef WANDERLUXE_ADAPTERS_HTTP_HTTP_SERVER_H_
#define WANDERLUXE_ADAPTERS_HTTP_HTTP_SERVER_H_

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "adapters/http/http_request.h"
#include "wanderluxe/api_response.h"
#include "wanderluxe/status.h"

namespace wanderluxe {

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  int port = 0;     // 0: any free port (see HttpServer::port)
  int threads = 8;  // each keep-alive connection holds one while open
  size_t max_body_bytes = 16 * 1024;
  int read_timeout_ms = 5000;
  int write_timeout_ms = 5000;
  int keep_alive_timeout_s = 5;
};

class HttpServer {
 public:
  explicit HttpServer(HttpServerOptions options);
  ~HttpServer();

  // `pattern` is an ECMAScript regex over the whole path; captures become
  // path_params. `label` names the route to the observer (default: method and
  // pattern). Routes and the observer are set before Start.
  void Route(const std::string& method, const std::string& pattern, HttpHandler handler,
             std::string label = "");
  void OnResponse(ResponseObserver observer);

  // Binds and starts serving on a background thread; fails if the port is taken.
  Status Start();
  int port() const { return port_; }
  // Stops accepting; requests already being served run to completion.
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int port_ = 0;
};

}  // namespace wanderluxe

#endif  // WANDERLUXE_ADAPTERS_HTTP_HTTP_SERVER_H_
