#include "wanderluxe/ids.h"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <random>

namespace wanderluxe {
namespace {

std::mt19937_64& Rng() {
  thread_local std::mt19937_64 rng([] {
    std::random_device device;
    return (static_cast<uint64_t>(device()) << 32) ^ device();
  }());
  return rng;
}

std::string Hex(size_t digits) {
  static const char* kHex = "0123456789abcdef";
  std::string out;
  while (out.size() < digits) {
    uint64_t bits = Rng()();
    for (int i = 0; i < 16 && out.size() < digits; ++i, bits >>= 4) out += kHex[bits & 15];
  }
  return out;
}

}  // namespace

std::string NewUuid() {
  std::string hex = Hex(32);
  hex[12] = '4';                                                               // version 4
  hex[16] = "89ab"[(hex[16] > '9' ? hex[16] - 'a' + 10 : hex[16] - '0') & 3];  // variant 10xx
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
         hex.substr(16, 4) + "-" + hex.substr(20);
}

std::string NewTraceId() {
  std::string id;
  do id = Hex(32);
  while (id.find_first_not_of('0') == std::string::npos);
  return id;
}

std::string NewSpanId() {
  std::string id;
  do id = Hex(16);
  while (id.find_first_not_of('0') == std::string::npos);
  return id;
}

std::string TraceParent(const std::string& trace_id, const std::string& span_id) {
  return "00-" + trace_id + "-" + span_id + "-01";
}

int64_t NowUnixMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string NowIso8601() { return IsoFromUnixMillis(NowUnixMillis()); }

std::string IsoFromUnixMillis(int64_t ms) {
  const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                static_cast<int>(ms % 1000));
  return buffer;
}

}  // namespace wanderluxe
