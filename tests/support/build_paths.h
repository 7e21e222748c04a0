// Where the checkout and the built binary are, for tests that read the
// repository's files or start the real `wanderluxe`.
//
// Only build_paths.cc is compiled with the two absolute paths, so every
// other test object is the same whatever directory the repository was cloned
// to, and a fresh clone reuses the compiler cache for it.
//
// Thread safety: both are constants; call from any thread.
#ifndef WANDERLUXE_TESTS_SUPPORT_BUILD_PATHS_H_
#define WANDERLUXE_TESTS_SUPPORT_BUILD_PATHS_H_

#include <string>

namespace wanderluxe::testing {

// The repository's root (CMAKE_SOURCE_DIR).
const std::string& SourceDir();
// The `wanderluxe` executable of this build.
const std::string& BinaryPath();

}  // namespace wanderluxe::testing

#endif  // WANDERLUXE_TESTS_SUPPORT_BUILD_PATHS_H_
