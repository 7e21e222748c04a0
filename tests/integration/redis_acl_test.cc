// Redis ACL users (issue 17): the client and the pipeline authenticate as
// redis.username; a wrong password is a clear, immediate error naming the
// server and the settings, never a hang and never the password. The user is
// made on the live Redis for the test and deleted after it.
#include <doctest/doctest.h>

#include <chrono>
#include <future>

#include "adapters/redis/redis_client.h"
#include "adapters/redis/redis_pipeline.h"
#include "support/servers.h"

namespace wanderluxe {
namespace {

using Clock = std::chrono::steady_clock;

// An ACL user that may run everything, for the length of one test.
class AclUser {
 public:
  explicit AclUser(RedisClient& admin)
      : admin_(admin), name_(testing::UniqueName("wl-acl")), password_(testing::UniqueName("pw")) {
    auto made =
        admin_.Command({"ACL", "SETUSER", name_, "on", ">" + password_, "~*", "&*", "+@all"});
    REQUIRE_MESSAGE(made.ok(), made.status().ToString());
  }
  ~AclUser() { (void)admin_.Command({"ACL", "DELUSER", name_}); }
  RedisConfig As(const Config& live, const std::string& password) const {
    RedisConfig c = live.redis;
    c.username = name_;
    c.password = password;
    return c;
  }
  const std::string& name() const { return name_; }
  const std::string& password() const { return password_; }

 private:
  RedisClient& admin_;
  const std::string name_, password_;
};

Result<RedisReply> PipelineWhoAmI(const RedisConfig& config) {
  RedisPipeline pipeline(config, 1, 16);
  std::promise<Result<RedisReply>> answer;
  pipeline.Command({"ACL", "WHOAMI"},
                   [&](Result<RedisReply> r) { answer.set_value(std::move(r)); });
  return answer.get_future().get();
}

TEST_SUITE("integration.redis_acl") {
  TEST_CASE("the client and the pipeline authenticate as the configured ACL user") {
    const Config live = testing::LiveConfig();
    auto admin = RedisClient::Connect(live.redis);
    REQUIRE_MESSAGE(admin.ok(), admin.status().ToString(), " -- start it with scripts/stack up");
    AclUser user(**admin);
    auto client = RedisClient::Connect(user.As(live, user.password()));
    REQUIRE_MESSAGE(client.ok(), client.status().ToString());
    auto whoami = (*client)->Command({"ACL", "WHOAMI"});
    REQUIRE(whoami.ok());
    CHECK(whoami->text == user.name());
    auto piped = PipelineWhoAmI(user.As(live, user.password()));
    REQUIRE_MESSAGE(piped.ok(), piped.status().ToString());
    CHECK(piped->text == user.name());
  }

  TEST_CASE("a wrong password fails at once, names the server and the settings, not the password") {
    const Config live = testing::LiveConfig();
    auto admin = RedisClient::Connect(live.redis);
    REQUIRE_MESSAGE(admin.ok(), admin.status().ToString());
    AclUser user(**admin);
    const std::string wrong = "not-" + user.password();
    const auto start = Clock::now();
    auto client = RedisClient::Connect(user.As(live, wrong));
    REQUIRE_FALSE(client.ok());
    CHECK(client.status().code() == StatusCode::kFailedPrecondition);
    const std::string m = client.status().message();
    MESSAGE("the error: ", m);
    CHECK(m.find(live.redis.host + ":" + std::to_string(live.redis.port)) != std::string::npos);
    CHECK(m.find("user '" + user.name() + "'") != std::string::npos);
    CHECK(m.find("redis.password") != std::string::npos);
    CHECK(m.find(wrong) == std::string::npos);
    auto piped = PipelineWhoAmI(user.As(live, wrong));
    REQUIRE_FALSE(piped.ok());
    CHECK(piped.status().message().find("redis.username") != std::string::npos);
    CHECK(piped.status().message().find(wrong) == std::string::npos);
    CHECK(Clock::now() - start < std::chrono::milliseconds(live.redis.command_timeout_ms * 2));
  }
}

}  // namespace
}  // namespace wanderluxe
