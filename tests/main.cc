#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>
#include <spdlog/spdlog.h>

#include <cstdlib>

#include "support/test_args.h"

namespace {

// The tests' own Redis database on the shared server: their properties,
// holds and idempotency records never show up in database 0, which the demo
// (`scripts/up`) and a system-wide `wanderluxe verify` use. An environment
// variable, so the roles the tests start as child processes inherit it.
constexpr const char* kTestRedisDatabase = "15";

}  // namespace

int main(int argc, char** argv) {
  setenv("WANDERLUXE_REDIS_DATABASE", kTestRedisDatabase, /*overwrite=*/0);
  spdlog::set_level(getenv("WL_TEST_LOG") ? spdlog::level::info
                                          : spdlog::level::err);  // retries log warnings by design
  wanderluxe::testing::SetTestArgs(argc, argv);
  doctest::Context context(argc, argv);
  return context.run();
}
