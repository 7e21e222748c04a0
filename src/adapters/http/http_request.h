// The request and response types our HTTP servers hand to route handlers, and
// what they tell an observer of every answer. Free of any HTTP library, so
// that a handler compiles against either server (HttpServer for the admin
// endpoints and the bank, EventLoopServer for the public API).
#ifndef WANDERLUXE_ADAPTERS_HTTP_HTTP_REQUEST_H_
#define WANDERLUXE_ADAPTERS_HTTP_HTTP_REQUEST_H_

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "wanderluxe/api_response.h"

namespace wanderluxe {

struct HttpRequest {
  std::string method;
  // The target's path without the query: HttpServer percent-decodes it,
  // EventLoopServer keeps it as sent.
  std::string path;
  std::vector<std::string> path_params;  // the route's captures, in order
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // The peer's IP address as text ("127.0.0.1", "::1"); empty when unknown.
  std::string remote_address;

  // Case-insensitive header lookup; empty when absent.
  std::string Header(const std::string& name) const;
  bool HasHeader(const std::string& name) const;
};

using HttpResponse = ApiResponse;

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

// Told of every response written: the label of the route that served it (or
// kUnroutedLabel: 404, 405, framing errors) and its status. Runs on the
// server's threads, concurrently.
using ResponseObserver = std::function<void(const std::string& route, int status)>;
inline constexpr const char* kUnroutedLabel = "unrouted";

}  // namespace wanderluxe

#endif  // WANDERLUXE_ADAPTERS_HTTP_HTTP_REQUEST_H_
