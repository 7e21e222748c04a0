// RFC 3629 UTF-8, written here independently of the code the fuzz targets
// check: no overlong forms, no surrogates (U+D800-U+DFFF), nothing above
// U+10FFFF, no C0/C1/F5-FF lead bytes. The oracle must not share a bug with
// the encoder it judges.
#ifndef WANDERLUXE_FUZZ_STRICT_UTF8_H_
#define WANDERLUXE_FUZZ_STRICT_UTF8_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace wanderluxe::fuzz {

inline bool IsStrictUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto lead = static_cast<unsigned char>(s[i]);
    size_t len = 1;
    uint32_t code = lead;
    uint32_t smallest = 0;
    if (lead < 0x80) {
      ++i;
      continue;
    } else if (lead >= 0xc2 && lead <= 0xdf) {
      len = 2, code = lead & 0x1f, smallest = 0x80;
    } else if ((lead & 0xf0) == 0xe0) {
      len = 3, code = lead & 0x0f, smallest = 0x800;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
      len = 4, code = lead & 0x07, smallest = 0x10000;
    } else {
      return false;
    }
    if (i + len > s.size()) return false;
    for (size_t k = 1; k < len; ++k) {
      const auto next = static_cast<unsigned char>(s[i + k]);
      if ((next & 0xc0) != 0x80) return false;
      code = (code << 6) | (next & 0x3f);
    }
    if (code < smallest || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return false;
    i += len;
  }
  return true;
}

}  // namespace wanderluxe::fuzz

#endif  // WANDERLUXE_FUZZ_STRICT_UTF8_H_
