// Identifiers and timestamps that cross process boundaries.
//
// Thread safety: any thread; each thread draws from a generator of its own.
#ifndef WANDERLUXE_IDS_H_
#define WANDERLUXE_IDS_H_

#include <cstdint>
#include <string>

namespace wanderluxe {

// A random (version 4) UUID in its canonical lowercase text.
std::string NewUuid();
// A name-based (version 5, SHA-1) UUID in WanderLuxe's namespace: the same
// name always gives the same id, in every process and every version.
std::string NameBasedUuid(const std::string& name);
// W3C trace-context ids: 32 and 16 lowercase hex digits, never all zero.
std::string NewTraceId();
std::string NewSpanId();
// "00-<trace>-<span>-01"
std::string TraceParent(const std::string& trace_id, const std::string& span_id);

// Wall-clock time as RFC 3339 UTC with milliseconds: 2025-12-16T10:00:00.123Z.
std::string NowIso8601();
int64_t NowUnixMillis();
// RFC 3339 UTC with milliseconds for a Unix time in milliseconds.
std::string IsoFromUnixMillis(int64_t ms);

}  // namespace wanderluxe

#endif  // WANDERLUXE_IDS_H_
