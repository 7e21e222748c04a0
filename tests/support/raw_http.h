// HTTP/1.1 over a plain loopback socket, byte for byte: for the requests an
// HTTP library will not send (TRACE, unknown methods, lying Content-Length,
// repeated headers, bytes that are not UTF-8) and for reading exactly what the
// server wrote back, including whether a HEAD answer carried a body.
#ifndef WANDERLUXE_TESTS_SUPPORT_RAW_HTTP_H_
#define WANDERLUXE_TESTS_SUPPORT_RAW_HTTP_H_

#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace wanderluxe::testing {

struct RawHttpResponse {
  bool complete = false;  // status line, headers and Content-Length bytes of body all read
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // what followed the headers, up to Content-Length (all of it for HEAD)
  std::chrono::milliseconds elapsed{0};  // from the last byte sent to the answer being complete

  std::string Header(const std::string& name) const;  // case-insensitive; "" when absent
};

// Sends `request` as is to 127.0.0.1:`port`, then reads one response for at
// most `bound`, without sending anything more. `head`: the response answers a
// HEAD request, so its Content-Length describes a body that is not sent; then
// everything up to the server closing (or `bound`) is read into body.
// A socket connected to 127.0.0.1:`port` (a REQUIRE failure if it cannot be).
int ConnectLoopback(int port);

// Parses the status line and headers of `head` (without the blank line) into `out`.
void ParseRawHttpHead(const std::string& head, RawHttpResponse& out);

RawHttpResponse RawHttpExchange(int port, const std::string& request,
                                std::chrono::milliseconds bound, bool head = false);

}  // namespace wanderluxe::testing

#endif  // WANDERLUXE_TESTS_SUPPORT_RAW_HTTP_H_
