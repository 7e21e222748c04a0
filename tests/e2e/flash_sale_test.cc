// The whole system as separate processes — bank, processor, gateway — and the
// thundering herd from `wanderluxe loadtest`: 2,000 requests (10% retried with
// the same key) for 5 units. Everything runs on its own topics, database and
// ports, so it can share the stack with other tests.
#include <doctest/doctest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "adapters/http/http_client.h"
#include "adapters/kafka/kafka_admin.h"
#include "support/child_process.h"
#include "support/report_figures.h"
#include "support/servers.h"

namespace wanderluxe {
namespace {

using std::chrono::seconds;

bool Answers(const std::string& url) {
  HttpClient client(url, std::chrono::milliseconds(500));
  auto r = client.Send("GET", "/healthz");
  return r.ok() && r->status == 200;
}

// The --report page (issue 16) shows the JSON's figures, and the stock the
// gateway reported during the run: never below zero, ending sold out.
void CheckReport(const std::string& path, const nlohmann::json& result) {
  std::ifstream in(path);
  std::stringstream read;
  read << in.rdbuf();
  const std::string page = read.str();
  REQUIRE_MESSAGE(!page.empty(), "no report at ", path);
  const auto figures = testing::PageFigures(page);
  for (const auto& figure : figures) {
    const nlohmann::json* value = testing::LookupFigure(result, figure.first);
    INFO("data-json=" << figure.first << " shows " << figure.second);
    REQUIRE(value != nullptr);
    CHECK(testing::SameFigure(*value, figure.second));
  }
  for (std::string shown : {"requests", "acceptedBookings", "outcomes.CONFIRMED", "pass"}) {
    CHECK_MESSAGE(figures.count(shown) == 1, shown);
  }
  CHECK(page.find("Lowest available seen: <strong>0</strong> (never below zero)") !=
        std::string::npos);
  CHECK(page.find("sold 5 of 5 units (sold out: sold equals total)") != std::string::npos);
}

TEST_SUITE("e2e.flash_sale") {
  TEST_CASE("2,000 requests for 5 units: exactly 5 CONFIRMED and every invariant holds") {
    const std::string dir = "/tmp/" + testing::UniqueName("wanderluxe-e2e");
    std::filesystem::create_directories(dir);
    const int base = testing::FreeLoopbackPort();
    int second = testing::FreeLoopbackPort();
    while (second == base) second = testing::FreeLoopbackPort();
    const std::string bank_port = std::to_string(base), gateway_port = std::to_string(second);
    const std::string requests = testing::UniqueName("e2e-requests");
    const std::string outcomes = testing::UniqueName("e2e-outcomes");
    const std::string dlq = testing::UniqueName("e2e-dlq");
    const std::vector<std::string> shared = {
        "--set", "kafka.requests_topic=" + requests,
        "--set", "kafka.outcomes_topic=" + outcomes,
        "--set", "kafka.dlq_topic=" + dlq,
        "--set", "processor.group_id=" + testing::UniqueName("e2e-group"),
        "--set", "processor.admin_port=0",
        "--set", "mongo.database=e2e" + std::to_string(base),
        "--set", "bank.mode=http",
        "--set", "bank.port=" + bank_port,
        "--set", "bank.url=http://127.0.0.1:" + bank_port,
        "--set", "bank.latency_ms=20",
        "--set", "bank.book_path=" + dir + "/charges.jsonl",
        "--set", "gateway.port=" + gateway_port};
    auto with = [&](std::vector<std::string> args) {
      args.insert(args.end(), shared.begin(), shared.end());
      return args;
    };
    const Config live = testing::LiveConfig();
    auto created = EnsureTopics(live.kafka, {{requests, 6, 1}, {outcomes, 6, 1}, {dlq, 1, 1}});
    REQUIRE_MESSAGE(created.ok(), "Kafka: ", created.status().ToString(),
                    " -- start it with scripts/stack up");

    testing::ChildProcess bank(with({"bank"}), dir + "/bank.log");
    testing::ChildProcess processor(with({"processor"}), dir + "/processor.log");
    testing::ChildProcess gateway(with({"gateway"}), dir + "/gateway.log");
    REQUIRE_MESSAGE(
        testing::WaitUntil([&] { return Answers("http://127.0.0.1:" + bank_port); }, seconds(30)),
        "bank did not start; see ", dir);
    REQUIRE_MESSAGE(testing::WaitUntil([&] { return Answers("http://127.0.0.1:" + gateway_port); },
                                       seconds(30)),
                    "gateway did not start; see ", dir);

    testing::ChildProcess loadtest(
        with({"loadtest", "--url", "http://127.0.0.1:" + gateway_port, "--inventory", "5",
              "--requests", "2000", "--concurrency", "100", "--duplicates", "0.1", "--json",
              "--timeout", "240", "--report", dir + "/herd.html"}),
        dir + "/loadtest.json");
    const auto exit = loadtest.Wait(seconds(300));
    std::ifstream in(dir + "/loadtest.json");
    std::stringstream report;
    report << in.rdbuf();
    REQUIRE_MESSAGE(exit.has_value(), "loadtest did not finish in 300 s; see ", dir);
    const std::string text = report.str();
    const auto json_start = text.find("{\n");
    REQUIRE_MESSAGE(json_start != std::string::npos, text);
    auto result = nlohmann::json::parse(text.substr(json_start));
    MESSAGE("loadtest: ", result.dump());
    CHECK(*exit == 0);
    CHECK(result["outcomes"]["CONFIRMED"] == 5);
    CHECK(result["pass"] == true);
    CHECK(result["acceptedBookings"].get<int64_t>() ==
          result["outcomes"]["CONFIRMED"].get<int64_t>() +
              result["outcomes"]["SOLD_OUT"].get<int64_t>() +
              result["outcomes"]["FAILED_PAYMENT"].get<int64_t>());
    CheckReport(dir + "/herd.html", result);
    for (auto* child : {&gateway, &processor, &bank}) {
      child->Signal(SIGTERM);
      CHECK(child->Wait(seconds(60)) == 0);  // graceful shutdown, exit 0
    }
    if (*exit == 0) std::filesystem::remove_all(dir);  // kept for a post-mortem otherwise
  }
}

}  // namespace
}  // namespace wanderluxe
