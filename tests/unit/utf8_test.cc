// IsUtf8 against a reference built the other way round: the set of valid
// encodings is what encoding every Unicode scalar value (U+0000..U+10FFFF
// without the surrogates) produces, and a byte string is valid when it splits
// into such encodings. Checked on every string of up to three bytes, and on
// four-byte strings at every boundary.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "core/utf8.h"

namespace wanderluxe {
namespace {

// The UTF-8 encoding of one scalar value, as bytes packed big-endian.
uint32_t Encode(uint32_t cp, int* length) {
  if (cp < 0x80) {
    *length = 1;
    return cp;
  }
  if (cp < 0x800) {
    *length = 2;
    return ((0xC0 | (cp >> 6)) << 8) | (0x80 | (cp & 0x3F));
  }
  if (cp < 0x10000) {
    *length = 3;
    return ((0xE0 | (cp >> 12)) << 16) | ((0x80 | ((cp >> 6) & 0x3F)) << 8) | (0x80 | (cp & 0x3F));
  }
  *length = 4;
  return ((0xF0 | (cp >> 18)) << 24) | ((0x80 | ((cp >> 12) & 0x3F)) << 16) |
         ((0x80 | ((cp >> 6) & 0x3F)) << 8) | (0x80 | (cp & 0x3F));
}

struct Encodings {
  std::vector<bool> one = std::vector<bool>(1 << 8);
  std::vector<bool> two = std::vector<bool>(1 << 16);
  std::vector<bool> three = std::vector<bool>(1 << 24);
  std::vector<uint32_t> four;  // sorted

  Encodings() {
    for (uint32_t cp = 0; cp <= 0x10FFFF; ++cp) {
      if (cp >= 0xD800 && cp <= 0xDFFF) continue;
      int length = 0;
      const uint32_t bytes = Encode(cp, &length);
      if (length == 1) one[bytes] = true;
      if (length == 2) two[bytes] = true;
      if (length == 3) three[bytes] = true;
      if (length == 4) four.push_back(bytes);
    }
    std::sort(four.begin(), four.end());
  }

  // Whether bytes b[0..n) split into valid encodings.
  bool Valid(const uint8_t* b, int n) const {
    if (n == 0) return true;
    if (one[b[0]] && Valid(b + 1, n - 1)) return true;
    if (n >= 2 && two[(b[0] << 8) | b[1]] && Valid(b + 2, n - 2)) return true;
    if (n >= 3 && three[(b[0] << 16) | (b[1] << 8) | b[2]] && Valid(b + 3, n - 3)) return true;
    if (n >= 4) {
      const uint32_t packed = (uint32_t(b[0]) << 24) | (b[1] << 16) | (b[2] << 8) | b[3];
      if (std::binary_search(four.begin(), four.end(), packed) && Valid(b + 4, n - 4)) return true;
    }
    return false;
  }
};

const Encodings& Reference() {
  static const Encodings encodings;
  return encodings;
}

std::string Bytes(const uint8_t* b, int n) {
  return std::string(reinterpret_cast<const char*>(b), n);
}

std::string Hex(const uint8_t* b, int n) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < n; ++i) out += std::string{kDigits[b[i] >> 4], kDigits[b[i] & 15], ' '};
  return out;
}

// Compares IsUtf8 with the reference on `b`; counts and reports disagreements.
void Compare(const uint8_t* b, int n, int* disagreements) {
  const bool expected = Reference().Valid(b, n);
  if (IsUtf8(Bytes(b, n)) == expected) return;
  if (++*disagreements <= 5)
    MESSAGE("[", Hex(b, n), "] should be ", expected ? "valid" : "invalid");
}

TEST_SUITE("unit.utf8") {
  TEST_CASE("the RFC 3629 cases by name") {
    CHECK(IsUtf8(""));
    CHECK(IsUtf8("plain ascii"));
    CHECK(IsUtf8(std::string("\0", 1)));      // U+0000 is UTF-8 (the archive refuses it elsewhere)
    CHECK(IsUtf8("\xc2\x80"));                // U+0080
    CHECK(IsUtf8("\xed\x9f\xbf"));            // U+D7FF, before the surrogates
    CHECK(IsUtf8("\xee\x80\x80"));            // U+E000, after them
    CHECK(IsUtf8("\xef\xbf\xbf"));            // U+FFFF
    CHECK(IsUtf8("\xf4\x8f\xbf\xbf"));        // U+10FFFF
    CHECK_FALSE(IsUtf8("\xc0\xaf"));          // overlong '/'
    CHECK_FALSE(IsUtf8("\xc1\xbf"));          // overlong U+007F
    CHECK_FALSE(IsUtf8("\xe0\x80\xaf"));      // overlong '/' in three
    CHECK_FALSE(IsUtf8("\xf0\x80\x80\xaf"));  // overlong '/' in four
    CHECK_FALSE(IsUtf8("\xed\xa0\x80"));      // U+D800
    CHECK_FALSE(IsUtf8("\xed\xbf\xbf"));      // U+DFFF
    CHECK_FALSE(IsUtf8("\xf4\x90\x80\x80"));  // U+110000
    CHECK_FALSE(IsUtf8("\xf5\x80\x80\x80"));
    CHECK_FALSE(IsUtf8("\xff"));
    CHECK_FALSE(IsUtf8("\x80"));          // a continuation byte alone
    CHECK_FALSE(IsUtf8("\xe2\x82"));      // truncated
    CHECK_FALSE(IsUtf8("\xe2\x28\xa1"));  // a bad continuation byte
  }

  TEST_CASE("every string of up to three bytes agrees with the reference") {
    int disagreements = 0;
    uint8_t b[3] = {0, 0, 0};
    Compare(b, 0, &disagreements);
    for (int x = 0; x < (1 << 24); ++x) {
      b[0] = static_cast<uint8_t>(x >> 16);
      b[1] = static_cast<uint8_t>(x >> 8);
      b[2] = static_cast<uint8_t>(x);
      Compare(b, 3, &disagreements);
      if ((x & 0xFFFF) == 0) Compare(b, 1, &disagreements);
      if ((x & 0xFF) == 0) Compare(b, 2, &disagreements);
    }
    CHECK(disagreements == 0);
  }

  TEST_CASE("four-byte strings agree with the reference at every boundary") {
    int disagreements = 0;
    for (uint32_t cp = 0x10000; cp <= 0x10FFFF; ++cp) {  // every four-byte character
      int length = 0;
      const uint32_t packed = Encode(cp, &length);
      const uint8_t b[4] = {uint8_t(packed >> 24), uint8_t(packed >> 16), uint8_t(packed >> 8),
                            uint8_t(packed)};
      Compare(b, 4, &disagreements);
    }
    // Every lead from F0 and every second and third byte, the last at its edges.
    for (int lead = 0xF0; lead <= 0xFF; ++lead) {
      for (int second = 0; second < 256; ++second) {
        for (int third = 0; third < 256; ++third) {
          for (int last : {0x41, 0x7F, 0x80, 0xBF, 0xC0}) {
            const uint8_t b[4] = {uint8_t(lead), uint8_t(second), uint8_t(third), uint8_t(last)};
            Compare(b, 4, &disagreements);
          }
        }
      }
    }
    CHECK(disagreements == 0);
  }
}

}  // namespace
}  // namespace wanderluxe
