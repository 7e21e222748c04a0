// Drill (issue 17): the stack of `scripts/stack up --secure` (Kafka asking for
// SASL/SCRAM, Redis for an ACL user's password, FerretDB's PostgreSQL for its
// password). A role with a wrong password exits at start with an error that
// names the server and the setting; then a herd goes through every role (the
// gateway, the processor, the audit, the bank) with the right ones, and
// verify passes. Passwords reach the roles in their environment only.
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include "support/drill_env.h"
#include "support/paced_herd.h"

namespace wanderluxe {
namespace {

using std::chrono::seconds;

TEST_SUITE("drill.secure_stack") {
  TEST_CASE("every server asks for credentials: wrong ones fail at start, a herd passes") {
    constexpr int kBookings = 300, kUnits = 10;
    testing::DrillEnv env({"secure", 3, {}, {"redis", "kafka", "ferretdb"}, /*secure=*/true});
    REQUIRE(env.private_stack().secure());

    // A wrong password: the role exits at once, naming the server and the
    // settings, and never prints the right password.
    const auto fails_at_start = [&](const std::string& log, const std::string& role,
                                    const std::string& wrong,
                                    const std::vector<std::string>& said) {
      testing::ChildProcess& child = env.Start(log, {role}, {wrong});
      const std::optional<int> exit = child.Wait(seconds(30));
      const std::string text = env.ReadLog(log);
      CHECK_MESSAGE(exit.has_value(), role, " kept running with ", wrong);
      CHECK_MESSAGE(exit.value_or(0) != 0, role, " exited 0 with ", wrong);
      for (const std::string& words : said) {
        CHECK_MESSAGE(text.find(words) != std::string::npos, log, " does not say '", words, "'");
      }
      CHECK(text.find(env.private_stack().password()) == std::string::npos);
      return exit.value_or(-1);
    };
    const std::string user = "user '" + env.private_stack().user() + "'";
    const int redis_exit =
        fails_at_start("processor-bad-redis", "processor", "redis.password=wrong",
                       {"refused AUTH as " + user, "redis.password"});
    const int kafka_exit =
        fails_at_start("gateway-bad-kafka", "gateway", "kafka.sasl_password=wrong",
                       {"refused SASL authentication as " + user, "kafka.sasl_password"});
    MESSAGE("wrong Redis password: exit ", redis_exit, "; wrong Kafka password: exit ", kafka_exit);

    // The right ones: a herd through every role.
    const std::string property = env.Property("secure", kUnits);
    env.StartEveryRole();
    testing::PacedHerdOptions options;
    options.url = env.gateway_url();
    options.property = property;
    options.booking_ids = env.BookingIds(property, kBookings);
    options.clients = 16;
    testing::PacedHerd herd(std::move(options));
    const testing::PacedHerdResult result = herd.Wait();
    CHECK(result.not_accepted.empty());
    const bool all = env.WaitTerminal({property}, kBookings, seconds(120));
    auto counts = env.Counts({property});
    MESSAGE(result.accepted.size(), " accepted in ", result.seconds, " s; CONFIRMED ",
            counts[BookingStatus::kConfirmed], ", SOLD_OUT ", counts[BookingStatus::kSoldOut]);
    REQUIRE_MESSAGE(all, "only ", env.Terminal({property}), " of ", kBookings,
                    " terminal after 120 s; see ", env.dir());
    CHECK(counts[BookingStatus::kConfirmed] == kUnits);
    REQUIRE_MESSAGE(env.WaitAudited(seconds(120)), "audit did not archive every event; see ",
                    env.dir());
    const auto verified = env.Verify({property});
    CHECK(verified == 0);
    // No role was given a password on its command line.
    for (const char* role : {"processor", "gateway", "audit"}) {
      CHECK(env.ReadLog(role).find("was given with --set") == std::string::npos);
    }
    env.Passed(verified == 0 && counts[BookingStatus::kConfirmed] == kUnits &&
               result.not_accepted.empty());
  }
}

}  // namespace
}  // namespace wanderluxe
