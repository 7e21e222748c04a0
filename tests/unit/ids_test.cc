// Identifiers that cross process boundaries: their shape, and the stability
// of name-based ids across processes and versions.
#include <doctest/doctest.h>

#include "wanderluxe/ids.h"

namespace wanderluxe {
namespace {

TEST_SUITE("unit.ids") {
  TEST_CASE("a name-based UUID is RFC 9562 version 5 and pinned forever") {
    // Known answers (Python's uuid.uuid5 over WanderLuxe's namespace,
    // 5b0c6e2a-913d-4f7e-a418-2c55d1079be3): a change here would give every
    // request already published a different eventId on its next retry.
    CHECK(NameBasedUuid("booking-event\nk1\nabc") == "1ba2bf76-d151-59f9-8257-3d4bfc93758a");
    CHECK(NameBasedUuid("") == "dcdf44ef-e3c8-520a-8ad2-04276be586f4");
    CHECK(NameBasedUuid("a") != NameBasedUuid("b"));
  }

  TEST_CASE("a random UUID is version 4, variant 10xx") {
    const std::string id = NewUuid();
    REQUIRE(id.size() == 36);
    CHECK(id[14] == '4');
    CHECK(std::string("89ab").find(id[19]) != std::string::npos);
    CHECK(NewUuid() != id);
  }
}

}  // namespace
}  // namespace wanderluxe
