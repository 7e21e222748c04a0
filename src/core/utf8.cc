#include "core/utf8.h"

#include <cstddef>

namespace wanderluxe {

// RFC 3629 §4, row by row: the lead byte fixes the length and the range of
// the second byte; every later byte is 80..BF.
//   C2..DF  80..BF
//   E0      A0..BF  (shorter forms are overlong)
//   E1..EC  80..BF
//   ED      80..9F  (A0..BF would be surrogates)
//   EE..EF  80..BF
//   F0      90..BF  (shorter forms are overlong)
//   F1..F3  80..BF
//   F4      80..8F  (beyond is above U+10FFFF)
size_t FirstInvalidUtf8(std::string_view bytes) {
  size_t i = 0;
  while (i < bytes.size()) {
    const auto lead = static_cast<unsigned char>(bytes[i]);
    if (lead < 0x80) {
      ++i;
      continue;
    }
    size_t length = 0;
    unsigned char low = 0x80, high = 0xBF;  // the second byte's range
    if (lead >= 0xC2 && lead <= 0xDF) {
      length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      length = 3;
      if (lead == 0xE0) low = 0xA0;
      if (lead == 0xED) high = 0x9F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      length = 4;
      if (lead == 0xF0) low = 0x90;
      if (lead == 0xF4) high = 0x8F;
    } else {
      return i;  // a continuation byte, C0, C1 or F5..FF
    }
    if (bytes.size() - i < length) return i;
    const auto second = static_cast<unsigned char>(bytes[i + 1]);
    if (second < low || second > high) return i;
    for (size_t k = 2; k < length; ++k) {
      if ((static_cast<unsigned char>(bytes[i + k]) & 0xC0) != 0x80) return i;
    }
    i += length;
  }
  return std::string_view::npos;
}

bool IsUtf8(std::string_view bytes) { return FirstInvalidUtf8(bytes) == std::string_view::npos; }

}  // namespace wanderluxe
