#include "core/json_writer.h"

#include <stdexcept>

#include "core/utf8.h"

namespace wanderluxe {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";

}  // namespace

void JsonWriter::BeginObject() {
  out_ += '{';
  need_comma_ = false;
}

void JsonWriter::EndObject() {
  out_ += '}';
  need_comma_ = true;
}

void JsonWriter::Key(std::string_view key) {
  if (need_comma_) out_ += ',';
  Escaped(key);
  out_ += ':';
  need_comma_ = false;
}

void JsonWriter::String(std::string_view text) {
  Escaped(text);
  need_comma_ = true;
}

void JsonWriter::Int(int64_t value) {
  out_ += std::to_string(value);
  need_comma_ = true;
}

void JsonWriter::Raw(std::string_view token) {
  out_ += token;
  need_comma_ = true;
}

void JsonWriter::Escaped(std::string_view text) {
  if (!IsUtf8(text)) throw std::invalid_argument("JsonWriter: a string is not UTF-8");
  out_ += '"';
  size_t plain = 0;  // start of the run not yet copied
  for (size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out_.append(text.data() + plain, i - plain);
    plain = i + 1;
    switch (c) {
      case '"':
        out_ += "\\\"";
        break;
      case '\\':
        out_ += "\\\\";
        break;
      case '\b':
        out_ += "\\b";
        break;
      case '\f':
        out_ += "\\f";
        break;
      case '\n':
        out_ += "\\n";
        break;
      case '\r':
        out_ += "\\r";
        break;
      case '\t':
        out_ += "\\t";
        break;
      default:
        out_ += "\\u00";
        out_ += kHexDigits[c >> 4];
        out_ += kHexDigits[c & 0xF];
    }
  }
  out_.append(text.data() + plain, text.size() - plain);
  out_ += '"';
}

}  // namespace wanderluxe
