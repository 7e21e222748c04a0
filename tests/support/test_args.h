// The test binary's own arguments, after doctest's: `wanderluxe_tests
// --test-suite=sim -- --seed N`. Set once by main before any test runs.
//
// Thread safety: written by main only, read by tests afterwards.
#ifndef WANDERLUXE_TESTS_SUPPORT_TEST_ARGS_H_
#define WANDERLUXE_TESTS_SUPPORT_TEST_ARGS_H_

#include <optional>
#include <string>

namespace wanderluxe::testing {

void SetTestArgs(int argc, char** argv);
// The value after `--name` on the command line, if given.
std::optional<std::string> TestArg(const std::string& name);

}  // namespace wanderluxe::testing

#endif  // WANDERLUXE_TESTS_SUPPORT_TEST_ARGS_H_
