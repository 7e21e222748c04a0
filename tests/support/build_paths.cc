#include "support/build_paths.h"

namespace wanderluxe::testing {

const std::string& SourceDir() {
  static const std::string dir = WANDERLUXE_SOURCE_DIR;
  return dir;
}

const std::string& BinaryPath() {
  static const std::string path = WANDERLUXE_BINARY;
  return path;
}

}  // namespace wanderluxe::testing
