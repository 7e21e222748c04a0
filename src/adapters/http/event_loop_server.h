// The public API's HTTP/1.1 server: a few event-loop threads (Boost.Asio,
// requests parsed by Boost.Beast) serve every connection, so an open
// connection costs a socket and a few KiB, never a thread. Boost stays in
// event_loop_server.cc.
//
// The edge semantics are HttpServer's (http_server.h): every error is
// application/problem+json; 404 for an unknown path, 405 with Allow for any
// other method on a known one, HEAD served by the GET route without its body;
// the body framed from the headers alone, before a byte of it is read
// (request_framing.h: 400, 411, 413, 415), and an answer given without reading
// an announced body closes the connection; a handler that throws is a 500.
// Beyond them:
// - keep-alive and pipelining: answers leave in request order; up to
//   kMaxPipelinedRequests of one connection are handled at once, and reading
//   pauses while that many wait. "Connection: close" is honoured; HTTP/1.0
//   closes unless it asked for keep-alive;
// - a head over max_header_bytes is 431; a head not complete within
//   header_timeout_ms of its first byte, or a body within body_timeout_ms of
//   its head, or an answer not written within write_timeout_ms, cuts the
//   connection (counted); a keep-alive connection idle for idle_timeout_ms is
//   closed;
// - beyond max_connections a new connection is accepted and closed at once
//   (counted).
//
// Handlers: Route's run on a loop thread and must not block; they answer
// through the Responder, at once or later from any thread. RouteBlocking's run
// on a pool of blocking_threads (for handlers that wait on a store), or on a
// thread of the route's own (kOwn); each such route holds at most
// max_queued_per_blocking_route requests, and answers the next 503 at once.
// Stop is not called from a handler.
#ifndef WANDERLUXE_ADAPTERS_HTTP_EVENT_LOOP_SERVER_H_
#define WANDERLUXE_ADAPTERS_HTTP_EVENT_LOOP_SERVER_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "adapters/http/http_request.h"
#include "wanderluxe/status.h"

namespace wanderluxe {

struct EventLoopServerOptions {
  std::string host = "127.0.0.1";
  int port = 0;  // 0: any free port (see EventLoopServer::port)
  int io_threads = 2;
  int blocking_threads = 8;
  int max_connections = 20000;
  int max_connections_per_address = 0;  // 0: no bound; past it a new connection is closed at once
  int backlog = 4096;  // passed to listen(); the kernel caps it at net.core.somaxconn
  size_t max_header_bytes = 8 * 1024;
  size_t max_body_bytes = 16 * 1024;
  int header_timeout_ms = 10000;  // from a request's first byte to the end of its head
  int body_timeout_ms = 10000;    // from the end of the head to the end of the body
  int idle_timeout_ms = 60000;    // keep-alive: waiting for the next request's first byte
  int write_timeout_ms = 10000;   // one write of answers
  int drain_timeout_ms = 10000;   // Stop: how long requests in flight may take to be answered
  // Requests of one blocking route queued or running at once; past it the
  // next is answered 503 with Retry-After at once, so a flood of one route
  // neither grows an unbounded queue nor delays the others for long.
  int max_queued_per_blocking_route = 256;
};

class EventLoopServer {
 public:
  // Answers one request: call it exactly once, from any thread. The answer is
  // written on the connection's loop thread; if the connection has closed
  // meanwhile, it is dropped. A Responder dropped without being called
  // answers 500.
  using Responder = std::function<void(HttpResponse)>;
  using AsyncHandler = std::function<void(HttpRequest, Responder)>;

  // At most this many requests of one connection are being handled or wait
  // to be written at once; reading that connection pauses while they are.
  static constexpr size_t kMaxPipelinedRequests = 16;

  explicit EventLoopServer(EventLoopServerOptions options);
  ~EventLoopServer();  // Stops

  // Routes and the observer are set before Start. `path_template` as in
  // route_table.h ("/api/v1/bookings/{id}"); its parameters become the
  // request's path_params. `label` names the route to the observer (default:
  // "METHOD template"). A template that cannot be routed, or one routed twice,
  // is a programming error (WL_CHECK).
  void Route(const std::string& method, const std::string& path_template, AsyncHandler handler,
             std::string label = "");
  // kShared: on the pool of blocking_threads; kOwn: on a thread of the
  // route's own (readiness, never queued behind other routes' reads).
  enum class BlockingPool { kShared, kOwn };
  void RouteBlocking(const std::string& method, const std::string& path_template,
                     HttpHandler handler, std::string label = "",
                     BlockingPool pool = BlockingPool::kShared);
  void OnResponse(ResponseObserver observer);

  // Raises the open-files limit to its hard limit, binds and starts the loop
  // and blocking threads; a Status error when the address cannot be bound.
  Status Start();
  int port() const { return port_; }

  // Stops accepting, closes idle connections, lets requests in flight be
  // answered for up to drain_timeout_ms (a connection closed after its last
  // answer waits up to a second for the client to close first), then closes
  // every connection and joins the threads. Idempotent.
  void Stop();

  // Connections accepted and not yet closed.
  int64_t open_connections() const;
  // Connections closed at once because max_connections were open.
  int64_t rejected_connections() const;
  // Of those, closed at once because their address had max_connections_per_address open.
  int64_t rejected_by_address() const;
  // Connections cut by the header, body or write deadline.
  int64_t cut_connections() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int port_ = 0;
};

}  // namespace wanderluxe

#endif  // WANDERLUXE_ADAPTERS_HTTP_EVENT_LOOP_SERVER_H_
