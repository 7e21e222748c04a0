// Process-wide logging: spdlog, as human text or as JSON lines (one object per
// line, message JSON-escaped) for log shippers.
//
// Thread safety: SetUpLogging runs once, on the main thread before any other
// starts; logging itself (spdlog) is safe from any thread.
#ifndef WANDERLUXE_LOG_H_
#define WANDERLUXE_LOG_H_

#include <string_view>

#include "wanderluxe/config.h"

namespace wanderluxe {

// Installs the default logger for `role`; every role calls it once at start.
void SetUpLogging(const LogConfig& config, std::string_view role);

}  // namespace wanderluxe

#endif  // WANDERLUXE_LOG_H_
