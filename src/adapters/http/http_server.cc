#include "adapters/http/http_server.h"

#include <httplib.h>
#include <spdlog/spdlog.h>
#include <strings.h>

#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdlib>
#include <regex>
#include <set>
#include <thread>

namespace wanderluxe {

std::string HttpRequest::Header(const std::string& name) const {
  for (const auto& [k, v] : headers) {
    if (strcasecmp(k.c_str(), name.c_str()) == 0) return v;
  }
  return "";
}

bool HttpRequest::HasHeader(const std::string& name) const {
  for (const auto& [k, v] : headers) {
    if (strcasecmp(k.c_str(), name.c_str()) == 0) return true;
  }
  return false;
}

namespace {

// cpp-httplib 0.11 listens with a backlog of 5, compiled into Debian's shared
// library. A flash sale opens hundreds of connections in the same millisecond;
// with 5 slots the kernel drops handshakes and clients see resets. Linux lets a
// listening socket's backlog be raised by calling listen() again, so we find
// our socket by its port and do that.
void WidenListenBacklog(int port) {
  constexpr int kBacklog = 4096;  // the kernel caps it at net.core.somaxconn
  DIR* fds = opendir("/proc/self/fd");
  if (fds == nullptr) return;
  while (dirent* entry = readdir(fds)) {
    const int fd = std::atoi(entry->d_name);
    int listening = 0;
    socklen_t len = sizeof(listening);
    if (fd <= 2 || getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) != 0 || !listening) {
      continue;
    }
    sockaddr_storage addr{};
    socklen_t addr_len = sizeof(addr);
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &addr_len) != 0) continue;
    const int bound = addr.ss_family == AF_INET6
                          ? ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port)
                          : ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
    if (bound == port && ::listen(fd, kBacklog) != 0) {
      spdlog::warn("http: could not widen the listen backlog on port {}", port);
    }
  }
  closedir(fds);
}

}  // namespace

struct HttpServer::Impl {
  struct Route {
    std::string method;
    std::regex pattern;
    HttpHandler handler;
  };

  HttpServerOptions options;
  httplib::Server server;
  std::vector<Route> routes;
  std::thread listener;

  HttpResponse Dispatch(const httplib::Request& raw) {
    HttpRequest req;
    req.method = raw.method;
    req.path = raw.path;
    req.body = raw.body;
    for (const auto& [k, v] : raw.headers) req.headers.emplace_back(k, v);
    std::set<std::string> allowed;
    for (const Route& route : routes) {
      std::smatch match;
      if (!std::regex_match(raw.path, match, route.pattern)) continue;
      if (route.method != raw.method) {
        allowed.insert(route.method);
        continue;
      }
      for (size_t i = 1; i < match.size(); ++i) req.path_params.push_back(match[i].str());
      return route.handler(req);
    }
    if (!allowed.empty()) {
      std::string allow;
      for (const auto& m : allowed) allow += (allow.empty() ? "" : ", ") + m;
      HttpResponse r =
          ProblemResponse(405, "Method Not Allowed", raw.method + " is not allowed on " + raw.path);
      r.headers.emplace_back("Allow", allow);
      return r;
    }
    return ProblemResponse(404, "Not Found", "no route for " + raw.path);
  }
};

HttpServer::HttpServer(HttpServerOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::Route(const std::string& method, const std::string& pattern, HttpHandler handler) {
  impl_->routes.push_back({method, std::regex(pattern), std::move(handler)});
}

Status HttpServer::Start() {
  Impl& impl = *impl_;
  httplib::Server& server = impl.server;
  const int threads = impl.options.threads;
  server.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  server.set_payload_max_length(impl.options.max_body_bytes);
  server.set_read_timeout(impl.options.read_timeout_ms / 1000,
                          (impl.options.read_timeout_ms % 1000) * 1000);
  server.set_write_timeout(impl.options.write_timeout_ms / 1000,
                           (impl.options.write_timeout_ms % 1000) * 1000);
  server.set_keep_alive_timeout(impl.options.keep_alive_timeout_s);
  server.set_keep_alive_max_count(100000);
  auto handle = [&impl](const httplib::Request& req, httplib::Response& res) {
    HttpResponse out;
    try {
      out = impl.Dispatch(req);
    } catch (const std::exception& e) {
      spdlog::error("{} {}: handler threw: {}", req.method, req.path, e.what());
      out = ProblemResponse(500, "Internal Server Error", "unexpected error");
    }
    res.status = out.status;
    for (const auto& [k, v] : out.headers) res.set_header(k, v);
    res.set_content(out.body, out.content_type.c_str());
  };
  for (const char* pattern : {".*"}) {
    server.Get(pattern, handle);
    server.Post(pattern, handle);
    server.Put(pattern, handle);
    server.Delete(pattern, handle);
    server.Patch(pattern, handle);
  }
  // Errors httplib raises before routing (413 body too large, 400 bad framing).
  server.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (!res.body.empty()) return;  // our own problem response already
    const bool too_large = res.status == 413;
    HttpResponse p = ProblemResponse(
        res.status, too_large ? "Payload Too Large" : "Bad Request",
        too_large ? "the request body exceeds the limit" : "the request could not be served");
    res.set_content(p.body, p.content_type.c_str());
  });
  if (impl.options.port == 0) {
    port_ = server.bind_to_any_port(impl.options.host.c_str());
    if (port_ < 0) return Status::Unavailable("http: cannot bind " + impl.options.host);
  } else {
    if (!server.bind_to_port(impl.options.host.c_str(), impl.options.port)) {
      return Status::Unavailable("http: cannot bind " + impl.options.host + ":" +
                                 std::to_string(impl.options.port) + " (in use?)");
    }
    port_ = impl.options.port;
  }
  WidenListenBacklog(port_);
  impl.listener = std::thread([&server] { server.listen_after_bind(); });
  return Status::Ok();
}

void HttpServer::Stop() {
  if (!impl_->listener.joinable()) return;
  impl_->server.stop();
  impl_->listener.join();
}

}  // namespace wanderluxe
