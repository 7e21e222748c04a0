// HttpExchange on Boost.Beast: a tcp_stream whose one expiry, set before the
// connect, bounds the connect, the write and every read of the answer
// (Beast's "logical operation": the expiry is a time point, not a per-read
// timer). Each step runs the call's own io_context to its end.
#include "adapters/http/http_exchange.h"

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

Result<HttpResult> HttpExchange(const std::string& base_url, const HttpExchangeRequest& request,
                                std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto endpoint = ParseBaseUrl(base_url);
  if (!endpoint.ok()) return endpoint.status();
  const http::verb verb = http::string_to_verb(request.method);
  if (verb == http::verb::unknown) {
    return Status::InvalidArgument("unknown HTTP method " + request.method);
  }

  asio::io_context io(1);
  beast::error_code ec;
  const tcp::resolver::results_type addresses =
      tcp::resolver(io).resolve(endpoint->host, endpoint->port, ec);
  if (ec) return Failed(StatusCode::kUnavailable, request, "resolve " + endpoint->host, ec);

  beast::tcp_stream stream(io);
  stream.expires_at(deadline);  // once: the connect, the write and every read
  ec = RunStep(io, [&](auto handler) { stream.async_connect(addresses, std::move(handler)); });
  if (ec == beast::error::timeout) {
    return Failed(StatusCode::kDeadlineExceeded, request, "connect", ec);
  }
  if (ec) return Failed(StatusCode::kUnavailable, request, "connect", ec);

  http::request<http::string_body> out(verb, request.target, kHttp11);
  out.set(http::field::host, endpoint->host + ":" + endpoint->port);
  for (const auto& [name, value] : request.headers) out.set(name, value);
  if (!request.body.empty()) {
    out.set(http::field::content_type, request.content_type);
    out.body() = request.body;
  }
  out.keep_alive(false);
  out.prepare_payload();
  ec = RunStep(io, [&](auto handler) { http::async_write(stream, out, std::move(handler)); });
  // The request may have reached the server whole before the connection broke.
  if (ec) return Failed(StatusCode::kDeadlineExceeded, request, "send", ec);

  beast::flat_buffer buffer;
  http::response_parser<http::string_body> in;
  in.header_limit(kMaxExchangeAnswerHeadBytes);
  in.body_limit(kMaxExchangeAnswerBodyBytes);
  ec = RunStep(io, [&](auto handler) { http::async_read(stream, buffer, in, std::move(handler)); });
  if (ec) {
    return Failed(IsMalformedAnswer(ec) ? StatusCode::kInternal : StatusCode::kDeadlineExceeded,
                  request, "receive", ec);
  }

  HttpResult result;
  result.status = static_cast<int>(in.get().result_int());
  for (const auto& field : in.get()) {
    result.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  result.body = std::move(in.get().body());
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  return result;
}

}  // namespace wanderluxe
