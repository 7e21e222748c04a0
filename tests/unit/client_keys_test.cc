// ClientKeys: which Authorization headers name which client.
#include "wanderluxe/client_keys.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

namespace wanderluxe {
namespace {

constexpr std::string_view kSecret = "server-secret-0123456789";
const std::string kAcmeKey = "acme-key-0123456789";
const std::string kOtherKey = "other-key-0123456789";

ClientKeys Keys(const std::vector<std::string>& entries, std::string_view secret = {}) {
  auto keys = ClientKeys::FromList(entries, secret);
  REQUIRE_MESSAGE(keys.ok(), keys.status().ToString());
  return std::move(*keys);
}

// The status message of a list refused, or "" when it was accepted.
std::string Refusal(const std::vector<std::string>& entries, std::string_view secret = {}) {
  auto keys = ClientKeys::FromList(entries, secret);
  return keys.ok() ? "" : keys.status().message();
}

TEST_SUITE("unit.client_keys") {
  TEST_CASE("Bearer and a known key name the entry's client; the scheme in any case") {
    const ClientKeys keys = Keys({"acme=" + kAcmeKey, "other.co=" + kOtherKey});
    CHECK(keys.Authenticate("Bearer " + kAcmeKey) == "acme");
    CHECK(keys.Authenticate("bearer " + kAcmeKey) == "acme");
    CHECK(keys.Authenticate("BEARER   " + kAcmeKey + " ") == "acme");
    CHECK(keys.Authenticate("Bearer " + kOtherKey) == "other.co");
  }

  TEST_CASE("anything else names nobody") {
    const ClientKeys keys = Keys({"acme=" + kAcmeKey});
    CHECK_FALSE(keys.Authenticate(""));
    CHECK_FALSE(keys.Authenticate(kAcmeKey));
    CHECK_FALSE(keys.Authenticate("Bearer"));
    CHECK_FALSE(keys.Authenticate("Bearer "));
    CHECK_FALSE(keys.Authenticate("Bearer" + kAcmeKey));
    CHECK_FALSE(keys.Authenticate("Basic " + kAcmeKey));
    CHECK_FALSE(keys.Authenticate("Bearer " + kAcmeKey.substr(1)));
    CHECK_FALSE(keys.Authenticate("Bearer " + kAcmeKey + "2"));
    CHECK_FALSE(keys.Authenticate("Bearer ACME-KEY-0123456789"));  // the key itself is exact
    CHECK_FALSE(keys.Authenticate("Bearer acme"));                 // a client id is no key
  }

  TEST_CASE("a rotated key keeps its client: two entries, one client id") {
    const std::string next = "acme-key-rotated-0001";
    const ClientKeys keys = Keys({"acme=" + kAcmeKey, "acme=" + next, "other=" + kOtherKey});
    CHECK(keys.Authenticate("Bearer " + kAcmeKey) == "acme");
    CHECK(keys.Authenticate("Bearer " + next) == "acme");
    // The old key removed: the new one still names the same client.
    CHECK(Keys({"acme=" + next}).Authenticate("Bearer " + next) == "acme");
  }

  TEST_CASE("a stored HMAC under the secret is the same client as the key in clear") {
    const std::string hashed = ClientKeys::HashedKey(kSecret, kAcmeKey);
    CHECK(hashed.rfind("hmac-sha256:", 0) == 0);
    CHECK(hashed.size() == 12 + 64);
    CHECK(hashed.find(kAcmeKey) == std::string::npos);
    // Keyed: another secret gives another digest (no unsalted hash to guess against).
    CHECK(hashed != ClientKeys::HashedKey("another-secret-0123456789", kAcmeKey));
    const ClientKeys keys = Keys({"acme=" + hashed}, kSecret);
    CHECK(keys.Authenticate("Bearer " + kAcmeKey) == "acme");
    CHECK_FALSE(keys.Authenticate("Bearer " + hashed));
    // Under another secret the digest matches nothing.
    const ClientKeys wrong = Keys({"acme=" + hashed}, "another-secret-0123456789");
    CHECK_FALSE(wrong.Authenticate("Bearer " + kAcmeKey));
  }

  TEST_CASE("malformed entries are refused by number, never printing the key") {
    CHECK(Refusal({}) == "no API key given");
    // No client named: the old formats (a bare key, an unsalted digest).
    const std::string bare = Refusal({kAcmeKey});
    CHECK(bare.find("API key 1: write <client-id>=<key>") == 0);
    CHECK(bare.find(kAcmeKey) == std::string::npos);
    CHECK(Refusal({"sha256:" + std::string(64, 'a')}).find("<client-id>=<key>") !=
          std::string::npos);
    CHECK(Refusal({"=" + kAcmeKey}).find("<client-id>") != std::string::npos);
    CHECK(Refusal({"ac me=" + kAcmeKey}).find("<client-id>") != std::string::npos);
    CHECK(Refusal({std::string(65, 'a') + "=" + kAcmeKey}).find("<client-id>") !=
          std::string::npos);
    // Weak or unprintable keys.
    const std::string short_key = Refusal({"acme=" + kAcmeKey, "b=short"});
    CHECK(short_key.find("API key 2 (client b): a key is 16 to 256") == 0);
    CHECK(Refusal({"acme=key with spaces 0123"}).find("visible ASCII") != std::string::npos);
    // A digest needs the secret it was made under, and 64 hex digits.
    const std::string hashed = ClientKeys::HashedKey(kSecret, kAcmeKey);
    CHECK(Refusal({"acme=" + hashed}).find("set gateway.api_key_secret") != std::string::npos);
    CHECK(Refusal({"acme=hmac-sha256:1234"}, kSecret).find("64 hex digits") != std::string::npos);
    CHECK(Refusal({"acme=hmac-sha256:" + std::string(64, 'z')}, kSecret) != "");
    // One key naming two clients is ambiguous.
    const std::string twice = Refusal({"acme=" + kAcmeKey, "other=" + kAcmeKey});
    CHECK(twice == "API key 2 gives client other a key that already names client acme");
  }

  TEST_CASE("a keys file: one entry per line, comments and blank lines skipped") {
    char path[] = "/tmp/wanderluxe-keys-XXXXXX";
    const int fd = mkstemp(path);
    REQUIRE(fd >= 0);
    close(fd);
    {
      std::ofstream out(path);
      out << "# partners\n\n  acme=" << kAcmeKey << "  \r\n"
          << "other=" << ClientKeys::HashedKey(kSecret, kOtherKey) << "\n";
    }
    auto keys = ClientKeys::FromFile(path, kSecret);
    REQUIRE_MESSAGE(keys.ok(), keys.status().ToString());
    CHECK(keys->size() == 2);
    CHECK(keys->Authenticate("Bearer " + kAcmeKey) == "acme");
    CHECK(keys->Authenticate("Bearer " + kOtherKey) == "other");
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
    g.api_keys = {"acme=" + kAcmeKey};
    auto listed = ClientKeys::Load(g);
    REQUIRE(listed.ok());
    REQUIRE(*listed != nullptr);
    CHECK((*listed)->size() == 1);
    // A key in the list and the same key under another client in the file.
    char path[] = "/tmp/wanderluxe-keys-XXXXXX";
    const int fd = mkstemp(path);
    REQUIRE(fd >= 0);
    close(fd);
    std::ofstream(path) << "other=" << kAcmeKey << "\n";
    g.api_keys_file = path;
    auto clash = ClientKeys::Load(g);
    REQUIRE_FALSE(clash.ok());
    CHECK(clash.status().message().find("already names client acme") != std::string::npos);
    std::remove(path);
    CHECK_FALSE(ClientKeys::Load(g).ok());  // the file is gone
  }
}

}  // namespace
}  // namespace wanderluxe
