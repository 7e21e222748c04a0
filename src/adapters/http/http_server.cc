#include "adapters/http/http_server.h"

#include <httplib.h>
#include <spdlog/spdlog.h>
#include <strings.h>

#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <limits>
#include <optional>
#include <regex>
#include <set>
#include <string_view>
#include <thread>

namespace wanderluxe {
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

using HandlerResponse = httplib::Server::HandlerResponse;

// The methods whose body httplib 0.11 reads before routing (detail::expect_content).
bool LibraryReadsBody(const std::string& method) {
  return method == "POST" || method == "PUT" || method == "PATCH" || method == "DELETE";
}

// The methods httplib 0.11 parses in a request line; it refuses any other
// with a 400 before routing, leaving the method and target in the request.
bool LibraryParsesMethod(const std::string& method) {
  static const std::set<std::string> kParsed = {"GET",     "HEAD",    "POST",  "PUT",   "DELETE",
                                                "CONNECT", "OPTIONS", "TRACE", "PATCH", "PRI"};
  return kParsed.count(method) > 0;
}

// RFC 9110 5.6.2: a method is a token.
bool IsToken(const std::string& s) {
  static constexpr std::string_view kSymbols = "!#$%&'*+-.^_`|~";
  return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) {
    return std::isalnum(c) || kSymbols.find(static_cast<char>(c)) != std::string_view::npos;
  });
}

// How a request's headers frame its body (RFC 9112 6).
struct Framing {
  enum Kind { kNone, kLength, kTransferEncoding, kMalformed };
  Kind kind = kNone;
  uint64_t length = 0;  // kLength: the bytes announced, saturated at the maximum

  bool announces_body() const { return kind != kNone && !(kind == kLength && length == 0); }
};

Framing FramingOf(const httplib::Headers& headers) {
  if (headers.count("Transfer-Encoding") > 0) return {Framing::kTransferEncoding};
  Framing framing;
  const auto [begin, end] = headers.equal_range("Content-Length");
  for (auto it = begin; it != end; ++it) {
    // 1*DIGIT, and the same number each time the header is repeated.
    const std::string& value = it->second;
    if (value.empty() || value.find_first_not_of("0123456789") != std::string::npos) {
      return {Framing::kMalformed};
    }
    constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
    uint64_t length = 0;
    for (char c : value) length = length > (kMax - 9) / 10 ? kMax : length * 10 + (c - '0');
    if (framing.kind == Framing::kLength && framing.length != length) return {Framing::kMalformed};
    framing = {Framing::kLength, length};
  }
  return framing;
}

// The path of a request target, as httplib would have decoded it.
std::string PathOf(const std::string& target) {
  return httplib::detail::decode_url(target.substr(0, target.find_first_of("?#")), false);
}

// The answer for a status httplib produced itself, before or instead of routing.
HttpResponse LibraryError(int status) {
  switch (status) {
    case 413:
      return ProblemResponse(413, "Payload Too Large", "the request body exceeds the limit");
    case 414:
      return ProblemResponse(414, "URI Too Long", "the request target is too long");
    case 416:
      return ProblemResponse(416, "Range Not Satisfiable", "the Range header cannot be served");
    case 400:
      return ProblemResponse(400, "Bad Request", "the request line or a header is malformed");
    default:
      return ProblemResponse(status, "Error", "the request could not be served");
  }
}

}  // namespace

struct HttpServer::Impl {
  struct Route {
    std::string method;
    std::regex pattern;
    HttpHandler handler;
    std::string label;
  };

  HttpServerOptions options;
  httplib::Server server;
  std::vector<Route> routes;
  ResponseObserver observer;
  std::thread listener;

  // The route serving `method` on `path` (HEAD is served by GET's), or null;
  // `allowed` collects the methods that `path` has routes for.
  const Route* Find(const std::string& method, const std::string& path, std::smatch* match,
                    std::set<std::string>* allowed) const {
    const std::string& wanted = method == "HEAD" ? std::string("GET") : method;
    for (const Route& route : routes) {
      if (!std::regex_match(path, *match, route.pattern)) continue;
      if (route.method == wanted) return &route;
      allowed->insert(route.method);
      if (route.method == "GET") allowed->insert("HEAD");
    }
    return nullptr;
  }

  HttpResponse Dispatch(const std::string& method, const std::string& path, HttpRequest req) {
    std::set<std::string> allowed;
    std::smatch match;
    const Route* route = Find(method, path, &match, &allowed);
    if (route != nullptr) {
      for (size_t i = 1; i < match.size(); ++i) req.path_params.push_back(match[i].str());
      return route->handler(req);
    }
    if (!allowed.empty()) {
      std::string allow;
      for (const auto& m : allowed) allow += (allow.empty() ? "" : ", ") + m;
      HttpResponse r =
          ProblemResponse(405, "Method Not Allowed", method + " is not allowed on " + path);
      r.headers.emplace_back("Allow", allow);
      return r;
    }
    return ProblemResponse(404, "Not Found", "no route for " + path);
  }

  // Routes the request with `body`; whatever a handler throws is a 500.
  HttpResponse Serve(const httplib::Request& raw, std::string body) {
    HttpRequest req;
    req.method = raw.method;
    req.path = raw.path;
    req.body = std::move(body);
    req.remote_address = raw.remote_addr;
    for (const auto& [k, v] : raw.headers) req.headers.emplace_back(k, v);
    try {
      return Dispatch(raw.method, raw.path, std::move(req));
    } catch (const std::exception& e) {
      spdlog::error("{} {}: handler threw: {}", raw.method, raw.path, e.what());
    } catch (...) {
      spdlog::error("{} {}: handler threw a non-exception", raw.method, raw.path);
    }
    return ProblemResponse(500, "Internal Server Error", "unexpected error");
  }

  // The answer to a request whose body cannot be served, if it is one.
  std::optional<HttpResponse> Refusal(const httplib::Headers& headers) const {
    const Framing framing = FramingOf(headers);
    // httplib inflates a compressed body after the length check: 16 KiB of
    // gzip would become up to 16 MiB in memory.
    const auto coding = headers.find("Content-Encoding");
    if (framing.announces_body() && coding != headers.end() &&
        strcasecmp(coding->second.c_str(), "identity") != 0) {
      return ProblemResponse(415, "Unsupported Media Type",
                             "Content-Encoding is not accepted; send the body uncompressed");
    }
    switch (framing.kind) {
      case Framing::kMalformed:
        return ProblemResponse(400, "Bad Request",
                               "Content-Length must be one decimal number of bytes");
      case Framing::kTransferEncoding:
        return ProblemResponse(411, "Length Required",
                               "send the body with a Content-Length; Transfer-Encoding is not "
                               "accepted");
      case Framing::kLength:
        if (framing.length <= options.max_body_bytes) return std::nullopt;
        return ProblemResponse(413, "Payload Too Large",
                               "the request body exceeds the limit of " +
                                   std::to_string(options.max_body_bytes) + " bytes");
      case Framing::kNone:
        return std::nullopt;
    }
    return std::nullopt;
  }

  // Writes `out` into httplib's response. `close`: bytes of this request may
  // be left unread, so the connection ends after the answer.
  static void Reply(const HttpResponse& out, bool close, httplib::Response& res) {
    res.status = out.status;
    for (const auto& [k, v] : out.headers) res.set_header(k, v);
    if (!close || out.body.empty()) {
      if (close) res.set_header("Connection", "close");  // the client is asked to, at least
      res.set_content(out.body, out.content_type.c_str());
      return;
    }
    // httplib 0.11 keeps a connection open unless writing the answer fails. A
    // content provider that reports failure once it has written the whole body
    // makes it close the connection right after the answer. (An answer to HEAD
    // writes no body, so there the client is only asked to close.)
    res.set_header("Connection", "close");
    auto body = std::make_shared<const std::string>(out.body);
    res.set_content_provider(body->size(), out.content_type,
                             [body](size_t offset, size_t length, httplib::DataSink& sink) {
                               sink.write(body->data() + offset, length);
                               return false;
                             });
  }

  // Before httplib reads a body: refuses framing it cannot serve, and answers
  // every request whose body httplib would not read, or that has none.
  HandlerResponse Screen(const httplib::Request& raw, httplib::Response& res) {
    const Framing framing = FramingOf(raw.headers);
    if (auto refusal = Refusal(raw.headers)) {
      Reply(*refusal, /*close=*/framing.announces_body(), res);
      return HandlerResponse::Handled;
    }
    if (framing.announces_body() && LibraryReadsBody(raw.method)) return HandlerResponse::Unhandled;
    Reply(Serve(raw, ""), /*close=*/framing.announces_body(), res);
    return HandlerResponse::Handled;
  }

  // Errors httplib raises itself (a malformed or unknown request line, bad
  // headers, a target too long): their request may be partly unread.
  void OnLibraryError(const httplib::Request& raw, httplib::Response& res) {
    if (res.has_header("Content-Type")) return;  // our own answer
    HttpResponse out = LibraryError(res.status);
    if (auto refusal = Refusal(raw.headers); refusal && refusal->status == res.status) {
      out = *refusal;  // refused before "100 Continue"
    } else if (res.status == 400 && raw.path.empty() && IsToken(raw.method) &&
               !LibraryParsesMethod(raw.method)) {
      // A method httplib does not know: the route still decides 404 or 405.
      out = Dispatch(raw.method, PathOf(raw.target), HttpRequest{});
    }
    Reply(out, /*close=*/true, res);
  }

  std::string LabelOf(const std::string& method, const std::string& path) const {
    std::set<std::string> allowed;
    std::smatch match;
    const Route* route = Find(method, path, &match, &allowed);
    return route != nullptr ? route->label : kUnroutedLabel;
  }
};

HttpServer::HttpServer(HttpServerOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::Route(const std::string& method, const std::string& pattern, HttpHandler handler,
                       std::string label) {
  if (label.empty()) label = method + " " + pattern;
  impl_->routes.push_back({method, std::regex(pattern), std::move(handler), std::move(label)});
}

void HttpServer::OnResponse(ResponseObserver observer) { impl_->observer = std::move(observer); }

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
  // httplib writes an answer's head and body apart: on a kept-alive connection
  // Nagle's algorithm holds the body until the client's delayed ACK of the
  // head, a pause of tens of milliseconds per answer.
  server.set_tcp_nodelay(true);
  server.set_pre_routing_handler([&impl](const httplib::Request& req, httplib::Response& res) {
    return impl.Screen(req, res);
  });
  // Only requests whose body httplib has read (within the limit) reach these.
  auto handle = [&impl](const httplib::Request& req, httplib::Response& res) {
    Impl::Reply(impl.Serve(req, req.body), /*close=*/false, res);
  };
  server.Post(".*", handle);
  server.Put(".*", handle);
  server.Patch(".*", handle);
  server.Delete(".*", handle);
  // "100 Continue" only for a body that will be read; else the refusal, at once.
  server.set_expect_100_continue_handler([&impl](const httplib::Request& req, httplib::Response&) {
    auto refusal = impl.Refusal(req.headers);
    return refusal ? refusal->status : 100;
  });
  server.set_error_handler([&impl](const httplib::Request& req, httplib::Response& res) {
    impl.OnLibraryError(req, res);
  });
  server.set_logger([&impl](const httplib::Request& req, const httplib::Response& res) {
    if (impl.observer) impl.observer(impl.LabelOf(req.method, req.path), res.status);
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
