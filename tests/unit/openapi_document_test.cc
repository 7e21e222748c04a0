// The OpenAPI document as a gateway serves it: the currencies block rendered
// from its configuration, the rest as written in api/openapi.yaml.
#include "roles/gateway/openapi_document.h"

#include <doctest/doctest.h>

namespace wanderluxe {
namespace {

TEST_SUITE("unit.openapi_document") {
  TEST_CASE("with the default config the served document is api/openapi.yaml as written") {
    auto rendered = OpenApiDocumentFor(GatewayConfig{});
    REQUIRE_MESSAGE(rendered.ok(), rendered.status().ToString());
    CHECK(*rendered == OpenApiDocument());
  }

  TEST_CASE("each configured currency with its minor unit; the largest amount in its digits") {
    GatewayConfig gateway;
    gateway.currencies = {"JPY", "USD", "BHD", "EUR"};
    gateway.max_amount_minor = 1234567;
    auto rendered = OpenApiDocumentFor(gateway);
    REQUIRE_MESSAGE(rendered.ok(), rendered.status().ToString());
    // One branch per minor unit, the 2-digit currencies first, each in the configured order.
    const size_t usd = rendered->find("enum: [USD, EUR]}");
    const size_t jpy = rendered->find("enum: [JPY]}");
    const size_t bhd = rendered->find("enum: [BHD]}");
    REQUIRE(usd != std::string::npos);
    REQUIRE(jpy != std::string::npos);
    REQUIRE(bhd != std::string::npos);
    CHECK(usd < jpy);
    CHECK(jpy < bhd);
    const std::string expected =
        "amount: {type: number, multipleOf: 0.01, minimum: 0.01, maximum: 12345.67}\n"
        "            currency: {type: string, enum: [USD, EUR]}\n";
    CHECK(rendered->find(expected) != std::string::npos);
    CHECK(rendered->find("multipleOf: 1, minimum: 1, maximum: 1234567}") != std::string::npos);
    CHECK(rendered->find("multipleOf: 0.001, minimum: 0.001, maximum: 1234.567}") !=
          std::string::npos);
    CHECK(rendered->find("[KWD]") == std::string::npos);
    // The rest is as written.
    CHECK(rendered->rfind("openapi: 3.0.3", 0) == 0);
    CHECK(rendered->find("/api/v1/bookings/{bookingId}") != std::string::npos);
  }
}

}  // namespace
}  // namespace wanderluxe
