// The framing rules of request_framing.h, case by case, and the lenient
// header reader used when the HTTP parser refused a head for its framing.
#include "adapters/http/request_framing.h"

#include <doctest/doctest.h>

namespace wanderluxe {
namespace {

constexpr size_t kLimit = 16 * 1024;

int RefusalStatus(const HeaderFields& headers) {
  auto refusal = FramingRefusal(headers, kLimit);
  return refusal ? refusal->status : 0;
}

TEST_SUITE("unit.request_framing") {
  TEST_CASE("Content-Length: one decimal number within the limit, else 400 or 413") {
    struct Case {
      HeaderFields headers;
      int status;  // 0: the body is read
    };
    const Case cases[] = {
        {{}, 0},
        {{{"Content-Length", "0"}}, 0},
        {{{"content-length", "16384"}}, 0},
        {{{"Content-Length", "5"}, {"Content-Length", "5"}}, 0},
        {{{"Content-Length", "16385"}}, 413},
        {{{"Content-Length", "99999999999999999999"}}, 413},
        {{{"Content-Length", "-1"}}, 400},
        {{{"Content-Length", "abc"}}, 400},
        {{{"Content-Length", "12abc"}}, 400},
        {{{"Content-Length", ""}}, 400},
        {{{"Content-Length", "5, 5"}}, 400},
        {{{"Content-Length", "5"}, {"Content-Length", "6"}}, 400},
        {{{"Transfer-Encoding", "chunked"}}, 411},
        {{{"Transfer-Encoding", "gzip"}, {"Content-Length", "5"}}, 411},
        {{{"Content-Length", "20"}, {"Content-Encoding", "gzip"}}, 415},
        {{{"Content-Length", "20"}, {"Content-Encoding", "IDENTITY"}}, 0},
        {{{"Content-Length", "0"}, {"Content-Encoding", "gzip"}}, 0},  // no body to inflate
        {{{"Transfer-Encoding", "chunked"}, {"Content-Encoding", "br"}}, 415},
    };
    for (const Case& c : cases) {
      const std::string label = c.headers.empty() ? "none" : c.headers[0].second;
      CHECK_MESSAGE(RefusalStatus(c.headers) == c.status, label);
    }
    auto refusal = FramingRefusal({{"Content-Length", "17000"}}, kLimit);
    REQUIRE(refusal.has_value());
    CHECK(refusal->content_type == "application/problem+json");
  }

  TEST_CASE("what the framing announces") {
    CHECK(FramingOf({}).kind == BodyFraming::Kind::kNone);
    CHECK(!FramingOf({}).announces_body());
    CHECK(!FramingOf({{"Content-Length", "0"}}).announces_body());
    BodyFraming five = FramingOf({{"Content-Length", "5"}});
    CHECK(five.kind == BodyFraming::Kind::kLength);
    CHECK(five.length == 5);
    CHECK(five.announces_body());
    CHECK(FramingOf({{"Content-Length", "x"}}).announces_body());  // unknown: assume a body
    CHECK(FramingOf({{"Transfer-Encoding", "chunked"}}).announces_body());
    CHECK(FramingOf({{"Content-Length", "18446744073709551616"}}).length == UINT64_MAX);
  }

  TEST_CASE("a raw head's fields: names as sent, values trimmed, the request line skipped") {
    const HeaderFields fields = RawHeaderFields(
        "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length:  5 \r\nno colon\r\n:empty\r\n"
        "Transfer-Encoding:\tchunked");
    const HeaderFields expected = {
        {"Host", "a"}, {"Content-Length", "5"}, {"Transfer-Encoding", "chunked"}};
    CHECK(fields == expected);
    CHECK(RawHeaderFields("GET / HTTP/1.1").empty());
  }
}

}  // namespace
}  // namespace wanderluxe
