// Every long-running role logs its effective config at start, and may log
// what a server answered when it refused it: neither may carry a secret.
// Each role is started as the real binary with secrets in its environment
// (as an operator gives them), on servers that refuse some of them, and its
// whole log is searched for each secret.
#include <doctest/doctest.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "support/child_process.h"
#include "support/servers.h"

namespace wanderluxe {
namespace {

using std::chrono::seconds;

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST_SUITE("integration.secrets") {
  TEST_CASE("no role's log carries a secret it was given, at start or on a refusal") {
    const std::map<std::string, std::string> environment = {
        {"WANDERLUXE_REDIS_PASSWORD", "s3cret-redis-pw"},
        {"WANDERLUXE_KAFKA_SASL_PASSWORD", "s3cret-kafka-pw"},
        {"WANDERLUXE_GATEWAY_API_KEYS", "partner=s3cret-api-key-0123456789"},
        {"WANDERLUXE_GATEWAY_API_KEY_SECRET", "s3cret-hmac-0123456789"},
        // The local FerretDB refuses this login, and says so in the log.
        {"WANDERLUXE_MONGO_URI",
         "mongodb://wl:s3cret-mongo-pw@127.0.0.1:27017/?serverSelectionTimeoutMS=1000"}};
    // What must never be printed, whole or in part.
    const std::vector<std::string> secrets = {"s3cret-redis", "s3cret-kafka", "s3cret-api-k",
                                              "s3cret-hmac", "s3cret-mongo"};
    const std::string dir = "/tmp/" + testing::UniqueName("secrets");
    std::filesystem::create_directories(dir);
    // What each role logs once it is up; a role a server refused exits instead.
    const std::vector<std::pair<std::string, std::string>> roles = {
        {"bank", "bank listening"},
        {"audit", "audit archiving"},
        {"gateway", "gateway listening"},
        {"processor", "processor consuming"}};
    for (const auto& entry : roles) {
      // Named copies: clang 14 lambdas cannot capture structured bindings.
      const std::string role = entry.first, up_line = entry.second;
      CAPTURE(role);
      const std::string log = dir + "/" + role + ".log";
      testing::ChildProcess child(
          {role, "--set", "gateway.port=" + std::to_string(testing::FreeLoopbackPort()), "--set",
           "processor.admin_port=" + std::to_string(testing::FreeLoopbackPort()), "--set",
           "audit.admin_port=" + std::to_string(testing::FreeLoopbackPort()), "--set",
           "bank.port=" + std::to_string(testing::FreeLoopbackPort()), "--set",
           "bank.book_path=" + dir + "/charges.jsonl", "--set", "audit.dir=" + dir + "/audit",
           "--set", "audit.group_id=" + testing::UniqueName("secrets-audit"), "--set",
           "processor.group_id=" + testing::UniqueName("secrets-processor")},
          log, environment);
      const bool settled = testing::WaitUntil(
          [&] {
            return child.Wait(std::chrono::milliseconds(0)).has_value() ||
                   ReadAll(log).find(up_line) != std::string::npos;
          },
          seconds(60));
      CHECK_MESSAGE(settled, role, " neither came up nor exited within 60 s");
      child.Signal(SIGTERM);
      CHECK(child.Wait(seconds(60)).has_value());
      const std::string text = ReadAll(log);
      // The check can fail: the config, secrets and all, was printed.
      CHECK(text.find("effective config") != std::string::npos);
      CHECK(text.find("<redacted>") != std::string::npos);
      for (const std::string& secret : secrets) {
        CHECK_MESSAGE(text.find(secret) == std::string::npos, role, " printed ", secret,
                      "...; its log: ", log);
      }
    }
    std::filesystem::remove_all(dir);
  }
}

}  // namespace
}  // namespace wanderluxe
