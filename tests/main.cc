#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>
#include <spdlog/spdlog.h>

#include <cstdlib>

int main(int argc, char** argv) {
  spdlog::set_level(getenv("WL_TEST_LOG") ? spdlog::level::info
                                          : spdlog::level::err);  // retries log warnings by design
  doctest::Context context(argc, argv);
  return context.run();
}
