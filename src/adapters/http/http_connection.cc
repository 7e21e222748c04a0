// HttpConnection on Boost.Beast: a tcp_stream whose one expiry, set to the
// caller's deadline before each step sequence, bounds the connect, the write
// and every read of the answer (Beast's "logical operation": the expiry is a
// time point, not a per-read timer). Each step runs the connection's own
// io_context to its end.
#include "adapters/http/http_connection.h"

#include <poll.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/verb.hpp>
#include <boost/beast/http/write.hpp>
#include <string_view>

namespace wanderluxe {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

constexpr std::string_view kScheme = "http://";
constexpr std::string_view kDefaultPort = "80";
constexpr unsigned kHttp11 = 11;

struct Endpoint {
  std::string host;
  std::string port;
};

Result<Endpoint> ParseBaseUrl(const std::string& base_url) {
  if (base_url.rfind(kScheme, 0) != 0) {
    return Status::InvalidArgument("not an http:// URL: " + base_url);
  }
  std::string authority = base_url.substr(kScheme.size());
  authority = authority.substr(0, authority.find('/'));
  const size_t colon = authority.rfind(':');
  if (authority.empty() || colon == 0) return Status::InvalidArgument("no host in " + base_url);
  if (colon == std::string::npos) return Endpoint{authority, std::string(kDefaultPort)};
  return Endpoint{authority.substr(0, colon), authority.substr(colon + 1)};
}

// Starts one asynchronous step with a handler that keeps its error, and runs
// the io_context until the step has ended: the stream's expiry bounds it.
template <typename Start>
beast::error_code RunStep(asio::io_context& io, Start start) {
  beast::error_code result;
  start([&result](beast::error_code ec, auto&&...) { result = ec; });
  io.restart();
  io.run();
  return result;
}

// The server answered, but not with HTTP within the limits; anything else
// (the deadline, a reset, a close before the answer was whole) is no answer.
bool IsMalformedAnswer(const beast::error_code& ec) {
  return ec.category() == http::make_error_code(http::error::bad_version).category() &&
         ec != http::error::end_of_stream && ec != http::error::partial_message;
}

Status Failed(StatusCode code, const HttpExchangeRequest& request, const std::string& step,
              const beast::error_code& ec) {
  return {code, request.method + " " + request.target + ": " + step + ": " + ec.message()};
}

}  // namespace

struct HttpConnection::Impl {
  asio::io_context io{1};
  beast::tcp_stream stream{io};
  // Bytes read past an answer stay here; a connection holding any is not reused.
  beast::flat_buffer buffer;
  std::string host_header;
};

HttpConnection::HttpConnection(std::unique_ptr<Impl> impl)
    : impl_(std::move(impl)), idle_since_(std::chrono::steady_clock::now()) {}

HttpConnection::~HttpConnection() {
  beast::error_code ignored;
  impl_->stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
}

Result<std::unique_ptr<HttpConnection>> HttpConnection::Open(const std::string& base_url,
                                                             TimePoint deadline) {
  auto endpoint = ParseBaseUrl(base_url);
  if (!endpoint.ok()) return endpoint.status();
  auto impl = std::make_unique<Impl>();
  impl->host_header = endpoint->host + ":" + endpoint->port;
  beast::error_code ec;
  const tcp::resolver::results_type addresses =
      tcp::resolver(impl->io).resolve(endpoint->host, endpoint->port, ec);
  if (ec) return Status::Unavailable("resolve " + endpoint->host + ": " + ec.message());

  impl->stream.expires_at(deadline);
  ec = RunStep(impl->io,
               [&](auto handler) { impl->stream.async_connect(addresses, std::move(handler)); });
  const std::string what = "connect " + impl->host_header + ": ";
  if (ec == beast::error::timeout) return Status::DeadlineExceeded(what + ec.message());
  if (ec) return Status::Unavailable(what + ec.message());
  // Requests are small and each waits for its answer: never hold one back.
  impl->stream.socket().set_option(tcp::no_delay(true), ec);
  return std::unique_ptr<HttpConnection>(new HttpConnection(std::move(impl)));
}

Result<HttpResult> HttpConnection::Exchange(const HttpExchangeRequest& request, TimePoint deadline,
                                            bool keep_alive) {
  reusable_ = false;
  broke_before_answer_ = false;
  const http::verb verb = http::string_to_verb(request.method);
  if (verb == http::verb::unknown) {
    return Status::InvalidArgument("unknown HTTP method " + request.method);
  }
  http::request<http::string_body> out(verb, request.target, kHttp11);
  out.set(http::field::host, impl_->host_header);
  for (const auto& [name, value] : request.headers) out.set(name, value);
  if (!request.body.empty()) {
    out.set(http::field::content_type, request.content_type);
    out.body() = request.body;
  }
  out.keep_alive(keep_alive);
  out.prepare_payload();

  beast::tcp_stream& stream = impl_->stream;
  stream.expires_at(deadline);  // once: the write and every read
  beast::error_code ec =
      RunStep(impl_->io, [&](auto handler) { http::async_write(stream, out, std::move(handler)); });
  if (ec) {
    // The request may have reached the server whole before the connection broke.
    broke_before_answer_ = ec != beast::error::timeout;
    return Failed(StatusCode::kDeadlineExceeded, request, "send", ec);
  }

  http::response_parser<http::string_body> in;
  in.header_limit(kMaxExchangeAnswerHeadBytes);
  in.body_limit(kMaxExchangeAnswerBodyBytes);
  ec = RunStep(impl_->io, [&](auto handler) {
    http::async_read(stream, impl_->buffer, in, std::move(handler));
  });
  idle_since_ = std::chrono::steady_clock::now();
  if (ec) {
    broke_before_answer_ =
        ec != beast::error::timeout && !in.got_some() && impl_->buffer.size() == 0;
    return Failed(IsMalformedAnswer(ec) ? StatusCode::kInternal : StatusCode::kDeadlineExceeded,
                  request, "receive", ec);
  }

  HttpResult result;
  result.status = static_cast<int>(in.get().result_int());
  for (const auto& field : in.get()) {
    result.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  result.body = std::move(in.get().body());
  // Parser keep_alive(): HTTP/1.1 without `Connection: close`, and a body
  // framed by its length or chunks, never by the server's close.
  reusable_ = keep_alive && in.is_done() && in.keep_alive() && impl_->buffer.size() == 0;
  return result;
}

bool HttpConnection::Reusable() const {
  if (!reusable_) return false;
  // Readable while idle: the server closed it (keep-alive timeout, restart)
  // or sent bytes no request asked for. Either way it carries nothing more.
  pollfd p{impl_->stream.socket().native_handle(), POLLIN | POLLRDHUP, 0};
  return ::poll(&p, 1, 0) == 0;
}

}  // namespace wanderluxe
