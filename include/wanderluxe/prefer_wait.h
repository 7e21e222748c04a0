// The `wait` preference of a request (RFC 7240 §4.3, `Prefer: wait=10`): how
// many seconds the client is willing to wait for an answer that changes.
//
// Thread safety: a pure function; any thread.
#ifndef WANDERLUXE_PREFER_WAIT_H_
#define WANDERLUXE_PREFER_WAIT_H_

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace wanderluxe {

// Seconds asked for by the first `wait` preference among `prefer_headers`
// (every Prefer header's value, in order; a value may list several
// preferences, comma-separated, each with `;` parameters). nullopt when none
// asks, or the first asks with anything but delta-seconds (RFC 7240 has a
// server ignore a preference it cannot read). A value past `cap` is `cap`.
std::optional<int64_t> PreferredWaitSeconds(const std::vector<std::string_view>& prefer_headers,
                                            int64_t cap);

}  // namespace wanderluxe

#endif  // WANDERLUXE_PREFER_WAIT_H_
