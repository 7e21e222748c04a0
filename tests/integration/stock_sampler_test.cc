// The herd report's stock sampler (issue 16) against an in-process inventory
// endpoint that sells one unit per read: every reading in time order, a last
// one taken at Stop, a bounded request rate, and a prompt stop.
#include "roles/loadtest/stock_sampler.h"

#include <doctest/doctest.h>

#include <atomic>
#include <nlohmann/json.hpp>

#include "adapters/http/event_loop_server.h"
#include "support/child_process.h"

namespace wanderluxe {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

constexpr int64_t kUnits = 5;

// GET /api/v1/properties/prop-s/inventory: one more unit sold per read, up to
// kUnits; any other property is unknown (404).
class InventoryServer {
 public:
  InventoryServer() {
    server_.Route(
        "GET", "/api/v1/properties/{id}/inventory",
        [this](HttpRequest req, EventLoopServer::Responder respond) {
          ++requests_;
          if (req.path_params.at(0) != "prop-s") {
            respond(HttpResponse{404, "application/json", "{}", {}});
            return;
          }
          const int64_t sold = std::min<int64_t>(reads_++, kUnits);
          nlohmann::json body = {
              {"available", kUnits - sold}, {"held", 0}, {"sold", sold}, {"total", kUnits}};
          respond(HttpResponse{200, "application/json", body.dump(), {}});
        });
    REQUIRE(server_.Start().ok());
  }
  ~InventoryServer() { server_.Stop(); }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(server_.port()); }
  int64_t reads() const { return reads_.load(); }        // of prop-s
  int64_t requests() const { return requests_.load(); }  // of any property

 private:
  EventLoopServer server_{EventLoopServerOptions{}};
  std::atomic<int64_t> reads_{0};
  std::atomic<int64_t> requests_{0};
};

TEST_SUITE("integration.stock_sampler") {
  TEST_CASE("readings in time order, the last at Stop, at most one per interval") {
    InventoryServer server;
    StockSampler sampler(server.url(), "prop-s");
    const auto start = Clock::now();
    sampler.Start();
    REQUIRE(testing::WaitUntil([&] { return server.reads() >= kUnits + 1; }, seconds(10)));
    const auto stop_called = Clock::now();
    const std::vector<StockReading> readings = sampler.Stop();
    const auto stopped = Clock::now();
    const double elapsed_ms = std::chrono::duration<double, std::milli>(stopped - start).count();
    MESSAGE(readings.size() << " readings in " << elapsed_ms << " ms");

    CHECK(static_cast<int64_t>(readings.size()) == server.reads());  // every answer kept
    CHECK(stopped - stop_called < kStockSampleInterval + kStockRequestTimeout);
    // Paced: the first read at once, then one per interval, and the one at Stop.
    CHECK(static_cast<double>(readings.size()) <=
          elapsed_ms / static_cast<double>(kStockSampleInterval.count()) + 2);
    for (size_t i = 1; i < readings.size(); ++i) {
      CHECK(readings[i - 1].at <= readings[i].at);
      CHECK(readings[i].available >= 0);
      CHECK(readings[i].sold >= readings[i - 1].sold);
    }
    CHECK(readings.back().sold == kUnits);  // the state the run ended in
    CHECK(sampler.total() == kUnits);
  }

  TEST_CASE("a property the gateway does not know gives no readings") {
    InventoryServer server;
    StockSampler sampler(server.url(), "prop-unknown");
    sampler.Start();
    REQUIRE(testing::WaitUntil([&] { return server.requests() >= 2; }, seconds(10)));
    CHECK(sampler.Stop().empty());
    CHECK_FALSE(sampler.total().has_value());
  }
}

}  // namespace
}  // namespace wanderluxe
