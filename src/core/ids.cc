#include "wanderluxe/ids.h"

#include "wanderluxe/check.h"

#include <openssl/evp.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <memory>
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

// WanderLuxe's UUID namespace (itself a version 4 UUID, fixed forever: changing
// it would change every name-based id).
constexpr std::array<unsigned char, 16> kNamespace = {
    0x5b, 0x0c, 0x6e, 0x2a, 0x91, 0x3d, 0x4f, 0x7e, 0xa4, 0x18, 0x2c, 0x55, 0xd1, 0x07, 0x9b, 0xe3};

std::string Canonical(const unsigned char* bytes) {
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += kHex[bytes[i] >> 4];
    out += kHex[bytes[i] & 15];
  }
  return out;
}

}  // namespace

std::string NameBasedUuid(const std::string& name) {
  // RFC 9562 §5.5: SHA-1 over namespace then name; the first 16 bytes, with
  // the version and variant bits set.
  // OpenSSL 3 looks an algorithm up under a global lock on every
  // EVP_sha1(); fetched once, it is shared read-only by every thread. Each
  // thread reuses one context (one eventId per accepted booking).
  static EVP_MD* const kSha1 = EVP_MD_fetch(nullptr, "SHA1", nullptr);
  thread_local const std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(),
                                                                                 &EVP_MD_CTX_free);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  const bool hashed = kSha1 != nullptr && ctx != nullptr &&
                      EVP_DigestInit_ex(ctx.get(), kSha1, nullptr) == 1 &&
                      EVP_DigestUpdate(ctx.get(), kNamespace.data(), kNamespace.size()) == 1 &&
                      EVP_DigestUpdate(ctx.get(), name.data(), name.size()) == 1 &&
                      EVP_DigestFinal_ex(ctx.get(), digest, &length) == 1;
  WL_CHECK(hashed && length >= 16, "SHA-1 unavailable from OpenSSL");
  digest[6] = static_cast<unsigned char>((digest[6] & 0x0f) | 0x50);  // version 5
  digest[8] = static_cast<unsigned char>((digest[8] & 0x3f) | 0x80);  // variant 10xx
  return Canonical(digest);
}

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
