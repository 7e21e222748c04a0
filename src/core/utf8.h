// UTF-8 exactly as RFC 3629 defines it, the form JSON text and the archive's
// databases require.
#ifndef WANDERLUXE_CORE_UTF8_H_
#define WANDERLUXE_CORE_UTF8_H_

#include <cstddef>
#include <string_view>

namespace wanderluxe {

// True when `bytes` is well-formed UTF-8 (RFC 3629 §4): every character in
// its shortest form, no surrogate (U+D800..U+DFFF), nothing above U+10FFFF;
// so the bytes C0, C1 and F5..FF never appear. nlohmann::json's dump()
// enforces the same rule, and throws on anything else.
bool IsUtf8(std::string_view bytes);
// The offset of the first byte that does not begin or continue a well-formed
// character, or npos when all of `bytes` is UTF-8.
size_t FirstInvalidUtf8(std::string_view bytes);

}  // namespace wanderluxe

#endif  // WANDERLUXE_CORE_UTF8_H_
