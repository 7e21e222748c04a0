// RouteTable: the gateway's routes found exactly, 404 and 405 with Allow as
// HttpServer answered them, parameters held to their characters and length,
// and templates that cannot be routed refused when added.
#include "adapters/http/route_table.h"

#include <doctest/doctest.h>

#include <string>

namespace wanderluxe {
namespace {

// The public API's routes, in the gateway's order.
struct GatewayRoutes {
  RouteTable table;
  size_t post_booking, get_booking, get_inventory, healthz, metrics;

  GatewayRoutes() {
    post_booking = *table.Add("POST", "/api/v1/bookings");
    get_booking = *table.Add("GET", "/api/v1/bookings/{id}");
    get_inventory = *table.Add("GET", "/api/v1/properties/{id}/inventory", "inventory");
    healthz = *table.Add("GET", "/healthz");
    metrics = *table.Add("GET", "/metrics");
  }
};

TEST_SUITE("unit.route_table") {
  TEST_CASE("static and parameterised paths are found with their parameters and labels") {
    GatewayRoutes g;
    RouteMatch m = g.table.Find("POST", "/api/v1/bookings");
    CHECK(m.kind == RouteMatch::Kind::kFound);
    CHECK(m.route == g.post_booking);
    CHECK(m.params.empty());
    CHECK(g.table.label(m.route) == "POST /api/v1/bookings");

    m = g.table.Find("GET", "/api/v1/bookings/b-1001");
    CHECK(m.kind == RouteMatch::Kind::kFound);
    CHECK(m.route == g.get_booking);
    CHECK(m.params == std::vector<std::string>{"b-1001"});
    CHECK(g.table.label(m.route) == "GET /api/v1/bookings/{id}");

    m = g.table.Find("GET", "/api/v1/properties/prop-dubai.royal:2_x/inventory");
    CHECK(m.kind == RouteMatch::Kind::kFound);
    CHECK(m.route == g.get_inventory);
    CHECK(m.params == std::vector<std::string>{"prop-dubai.royal:2_x"});
    CHECK(g.table.label(m.route) == "inventory");
    CHECK(g.table.size() == 5);
  }

  TEST_CASE("the query string and fragment are ignored") {
    GatewayRoutes g;
    CHECK(g.table.Find("GET", "/healthz?verbose=1").route == g.healthz);
    CHECK(g.table.Find("GET", "/healthz#top").kind == RouteMatch::Kind::kFound);
    RouteMatch m = g.table.Find("GET", "/api/v1/bookings/b-1?x=/y");
    CHECK(m.kind == RouteMatch::Kind::kFound);
    CHECK(m.params == std::vector<std::string>{"b-1"});
  }

  TEST_CASE("HEAD is served by GET, and Allow names HEAD wherever GET is routed") {
    GatewayRoutes g;
    RouteMatch head = g.table.Find("HEAD", "/metrics");
    CHECK(head.kind == RouteMatch::Kind::kFound);
    CHECK(head.route == g.metrics);
    CHECK(g.table.Find("HEAD", "/api/v1/bookings/b-1").route == g.get_booking);
    // HEAD where only POST is routed is not allowed.
    RouteMatch post_only = g.table.Find("HEAD", "/api/v1/bookings");
    CHECK(post_only.kind == RouteMatch::Kind::kMethodNotAllowed);
    CHECK(post_only.allow == "POST");
  }

  TEST_CASE("a path that exists for other methods is 405 with the sorted Allow list") {
    GatewayRoutes g;
    struct Case {
      std::string method, target, allow;
    };
    const Case cases[] = {
        {"TRACE", "/healthz", "GET, HEAD"},
        {"OPTIONS", "/healthz", "GET, HEAD"},
        {"CONNECT", "/healthz", "GET, HEAD"},
        {"FOO", "/healthz", "GET, HEAD"},
        {"GET", "/api/v1/bookings", "POST"},
        {"TRACE", "/api/v1/bookings", "POST"},
        {"DELETE", "/api/v1/bookings/b-1", "GET, HEAD"},
        {"POST", "/metrics", "GET, HEAD"},
        {"get", "/healthz", "GET, HEAD"},  // methods are case-sensitive (RFC 9110 9.1)
    };
    for (const Case& c : cases) {
      RouteMatch m = g.table.Find(c.method, c.target);
      CHECK_MESSAGE(m.kind == RouteMatch::Kind::kMethodNotAllowed, c.method, " ", c.target);
      CHECK_MESSAGE(m.allow == c.allow, c.method, " ", c.target);
      CHECK(m.params.empty());
    }
    RouteTable both;
    REQUIRE(both.Add("POST", "/things/{id}").ok());
    REQUIRE(both.Add("GET", "/things/{key}").ok());  // the same shape, another name
    REQUIRE(both.Add("DELETE", "/things/{id}").ok());
    CHECK(both.Find("PUT", "/things/t-1").allow == "DELETE, GET, HEAD, POST");
    CHECK(both.Find("GET", "/things/t-1").params == std::vector<std::string>{"t-1"});
  }

  TEST_CASE("paths that match no route are 404") {
    GatewayRoutes g;
    const std::string targets[] = {
        "/nowhere",
        "/healthz/",                   // exact: no trailing slash
        "/HEALTHZ",                    // paths are case-sensitive
        "/api/v1/bookings/",           // an empty parameter
        "/api/v1/bookings/a/b",        // one segment only
        "/api/v1/bookings/b%2D1",      // '%' is not a parameter character
        "/api/v1/bookings/b 1",        // nor a space
        "/api/v1/properties/p/stock",  // the literal after the parameter differs
        "/api/v1/properties/p/inventory/",
        "",
        "*",
        "healthz",
        "http://host/healthz",  // absolute form: not routed
        "/api/v1/bookings/" + std::string(RouteTable::kMaxParamBytes + 1, 'b'),
    };
    for (const std::string& target : targets) {
      RouteMatch m = g.table.Find("GET", target);
      CHECK_MESSAGE(m.kind == RouteMatch::Kind::kNoSuchPath, target);
      CHECK(m.allow.empty());
      CHECK(m.params.empty());
    }
    RouteMatch longest =
        g.table.Find("GET", "/api/v1/bookings/" + std::string(RouteTable::kMaxParamBytes, 'b'));
    CHECK(longest.kind == RouteMatch::Kind::kFound);
  }

  TEST_CASE("a static path and a pattern of the same shape: the method decides") {
    RouteTable t;
    const size_t mine = *t.Add("GET", "/users/me");
    const size_t any = *t.Add("GET", "/users/{id}");
    const size_t del = *t.Add("DELETE", "/users/{id}");
    CHECK(t.Find("GET", "/users/me").route == mine);
    CHECK(t.Find("GET", "/users/u-7").route == any);
    RouteMatch m = t.Find("DELETE", "/users/me");
    CHECK(m.kind == RouteMatch::Kind::kFound);
    CHECK(m.route == del);
    CHECK(m.params == std::vector<std::string>{"me"});
    CHECK(t.Find("POST", "/users/me").allow == "DELETE, GET, HEAD");
  }

  TEST_CASE("the root path and several parameters") {
    RouteTable t;
    const size_t root = *t.Add("GET", "/");
    const size_t pair = *t.Add("GET", "/a/{x}/b/{y}");
    CHECK(t.Find("GET", "/").route == root);
    CHECK(t.Find("GET", "/?q").route == root);
    CHECK(t.Find("GET", "//").kind == RouteMatch::Kind::kNoSuchPath);
    RouteMatch m = t.Find("GET", "/a/1/b/2");
    CHECK(m.route == pair);
    CHECK(m.params == std::vector<std::string>{"1", "2"});
    CHECK(t.Find("GET", "/a/1/c/2").kind == RouteMatch::Kind::kNoSuchPath);
  }

  TEST_CASE("templates and methods that cannot be routed are refused when added") {
    RouteTable t;
    REQUIRE(t.Add("GET", "/ok/{id}").ok());
    const std::pair<std::string, std::string> bad[] = {
        {"GET", "no-slash"}, {"GET", ""},         {"GET", "/a?b"},  {"GET", "/a#b"},
        {"GET", "/a/{id}x"}, {"GET", "/a/x{id}"}, {"GET", "/a/{}"}, {"GET", "/a/{i-d}"},
        {"GET", "/a/}"},     {"G T", "/a"},       {"", "/a"},       {"GET", "/ok/{key}"},
    };
    for (const auto& c : bad) {  // no structured bindings in doctest's lambdas (clang 14)
      CHECK_MESSAGE(!t.Add(c.first, c.second).ok(), c.first, " ", c.second);
    }
    CHECK(t.Add("GET", "/ok/{key}").status().code() == StatusCode::kAlreadyExists);
    CHECK(t.size() == 1);
  }
}

}  // namespace
}  // namespace wanderluxe
