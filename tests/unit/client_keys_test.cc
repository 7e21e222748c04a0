// ClientKeys (issue 17): which Authorization headers name which client.
#include "wanderluxe/client_keys.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

namespace wanderluxe {
namespace {

// SHA-256 of "s3cret" and of "other", as `printf s3cret | sha256sum` prints them.
const std::string kS3cretSha256 =
    "sha256:1ec1c26b50d5d3c58d9583181af8076655fe00756bf7285940ba3670f99fcba0";
const std::string kOtherSha256 =
    "sha256:d9298a10d1b0735837dc4bd85dac641b0f3cef27a47e5d53a54f2f3f5b2fcffa";

ClientKeys Keys(const std::vector<std::string>& entries) {
  auto keys = ClientKeys::FromList(entries);
  REQUIRE_MESSAGE(keys.ok(), keys.status().ToString());
  return std::move(*keys);
}

TEST_SUITE("unit.client_keys") {
  TEST_CASE("Bearer and a known key name the key's client; the scheme in any case") {
    const ClientKeys keys = Keys({"s3cret", "other"});
    const std::string id = ClientKeys::ClientIdOf("s3cret");
    CHECK(id.size() == 16);
    CHECK(keys.Authenticate("Bearer s3cret") == id);
    CHECK(keys.Authenticate("bearer s3cret") == id);
    CHECK(keys.Authenticate("BEARER   s3cret ") == id);
    CHECK(keys.Authenticate("Bearer other") == ClientKeys::ClientIdOf("other"));
    CHECK(keys.Authenticate("Bearer other") != id);
  }

  TEST_CASE("anything else names nobody") {
    const ClientKeys keys = Keys({"s3cret"});
    CHECK_FALSE(keys.Authenticate(""));
    CHECK_FALSE(keys.Authenticate("s3cret"));
    CHECK_FALSE(keys.Authenticate("Bearer"));
    CHECK_FALSE(keys.Authenticate("Bearer "));
    CHECK_FALSE(keys.Authenticate("Bearers3cret"));
    CHECK_FALSE(keys.Authenticate("Basic s3cret"));
    CHECK_FALSE(keys.Authenticate("Bearer s3cre"));
    CHECK_FALSE(keys.Authenticate("Bearer s3cret2"));
    CHECK_FALSE(keys.Authenticate("Bearer S3CRET"));  // the key itself is exact
  }

  TEST_CASE("a hashed key is the same client as the key in clear") {
    const std::string id = ClientKeys::ClientIdOf("s3cret");
    CHECK(id == kS3cretSha256.substr(7, 16));
    const ClientKeys hashed = Keys({kS3cretSha256});
    CHECK(hashed.Authenticate("Bearer s3cret") == id);
    CHECK_FALSE(hashed.Authenticate("Bearer " + kS3cretSha256));
    auto upper =
        ClientKeys::FromList({"sha256:" + std::string(kS3cretSha256.substr(7).size(), 'A')});
    CHECK(upper.ok());  // hex in either case
    auto bad = ClientKeys::FromList({"sha256:1234"});
    CHECK_FALSE(bad.ok());
    CHECK(bad.status().message().find("64 hex digits") != std::string::npos);
    CHECK_FALSE(ClientKeys::FromList({"sha256:" + std::string(64, 'z')}).ok());
  }

  TEST_CASE("an empty list or an empty key is refused") {
    CHECK_FALSE(ClientKeys::FromList({}).ok());
    CHECK_FALSE(ClientKeys::FromList({"k", "  "}).ok());
  }

  TEST_CASE("a keys file: one per line, comments and blank lines skipped, hashes allowed") {
    char path[] = "/tmp/wanderluxe-keys-XXXXXX";
    const int fd = mkstemp(path);
    REQUIRE(fd >= 0);
    close(fd);
    {
      std::ofstream out(path);
      out << "# partners\n\n  s3cret  \r\n" << kOtherSha256 << "\n";
    }
    auto keys = ClientKeys::FromFile(path);
    REQUIRE_MESSAGE(keys.ok(), keys.status().ToString());
    CHECK(keys->size() == 2);
    CHECK(keys->Authenticate("Bearer s3cret") == ClientKeys::ClientIdOf("s3cret"));
    CHECK(keys->Authenticate("Bearer other") == ClientKeys::ClientIdOf("other"));
    std::remove(path);
    auto missing = ClientKeys::FromFile(path);
    CHECK_FALSE(missing.ok());
    CHECK(missing.status().message().find(path) != std::string::npos);
  }

  TEST_CASE("Load: none mode has no keys; api-key mode joins the list and the file") {
    GatewayConfig g;
    auto none = ClientKeys::Load(g);
    REQUIRE(none.ok());
    CHECK(*none == nullptr);
    g.auth_mode = "api-key";
    g.api_keys = {"a"};
    auto listed = ClientKeys::Load(g);
    REQUIRE(listed.ok());
    REQUIRE(*listed != nullptr);
    CHECK((*listed)->size() == 1);
    g.api_keys_file = "/nonexistent/keys";
    CHECK_FALSE(ClientKeys::Load(g).ok());
  }
}

}  // namespace
}  // namespace wanderluxe
