#include "core/exact_json.h"

#include <cstdio>
#include <set>
#include <vector>

namespace wanderluxe {
namespace {

using nlohmann::json;
using DomParser = nlohmann::detail::json_sax_dom_parser<json>;

// `text` with every byte beyond ASCII written as \xHH: nlohmann's messages
// quote the bytes last read, which may be half of a UTF-8 character.
std::string AsciiOnly(const std::string& text) {
  std::string out;
  for (unsigned char c : text) {
    if (c < 0x80) {
      out += static_cast<char>(c);
    } else {
      char hex[5];
      std::snprintf(hex, sizeof hex, "\\x%02X", c);
      out += hex;
    }
  }
  return out;
}

// Builds the DOM as nlohmann does, and on the side records the text of every
// number under its JSON pointer.
class NumberRecordingSax : public DomParser {
 public:
  explicit NumberRecordingSax(json& root) : DomParser(root, /*allow_exceptions=*/false) {}

  bool start_object(std::size_t n) {
    awaiting_value_ = false;
    containers_.push_back({});
    return DomParser::start_object(n);
  }
  bool end_object() {
    containers_.pop_back();
    Advance();
    return DomParser::end_object();
  }
  bool start_array(std::size_t n) {
    awaiting_value_ = false;
    containers_.push_back({true});
    return DomParser::start_array(n);
  }
  bool end_array() {
    containers_.pop_back();
    Advance();
    return DomParser::end_array();
  }
  template <typename Exception>
  bool parse_error(std::size_t position, const std::string& last_token, const Exception& ex) {
    std::string what = ex.what();
    // "[json.exception.parse_error.101] parse error at line 1, ..." -> "parse error at ..."
    const size_t bracket = what.find("] ");
    error_ = AsciiOnly(bracket == std::string::npos ? what : what.substr(bracket + 2));
    return DomParser::parse_error(position, last_token, ex);
  }
  bool key(json::string_t& k) {
    Container& c = containers_.back();
    if (!c.seen_keys.insert(k).second) {
      duplicate_key_ = Pointer() + "/" + k;
      return false;
    }
    c.current_key = k;
    awaiting_value_ = true;
    return DomParser::key(k);
  }
  bool number_integer(json::number_integer_t v) {
    Record(std::to_string(v));
    return DomParser::number_integer(v);
  }
  bool number_unsigned(json::number_unsigned_t v) {
    Record(std::to_string(v));
    return DomParser::number_unsigned(v);
  }
  bool number_float(json::number_float_t v, const json::string_t& text) {
    Record(text);
    return DomParser::number_float(v, text);
  }
  bool string(json::string_t& s) {
    Advance();
    return DomParser::string(s);
  }
  bool boolean(bool b) {
    Advance();
    return DomParser::boolean(b);
  }
  bool null() {
    Advance();
    return DomParser::null();
  }

  // The top-level member whose value is being read; "" between members.
  std::string TopLevelMember() const {
    if (containers_.empty() || containers_[0].is_array) return "";
    if (containers_.size() > 1 || awaiting_value_) return containers_[0].current_key;
    return "";
  }

  std::map<std::string, std::string> numbers;
  std::string duplicate_key_;
  std::string error_;

 private:
  struct Container {
    bool is_array = false;
    size_t index = 0;
    std::string current_key;
    std::set<std::string> seen_keys;
  };

  std::string Pointer() const {
    std::string p;
    for (const auto& c : containers_) {
      p += "/" + (c.is_array ? std::to_string(c.index) : c.current_key);
    }
    return p;
  }
  void Record(std::string text) {
    numbers[Pointer()] = std::move(text);
    Advance();
  }
  void Advance() {
    awaiting_value_ = false;
    if (!containers_.empty() && containers_.back().is_array) ++containers_.back().index;
  }

  std::vector<Container> containers_;
  bool awaiting_value_ = false;  // a member's name was read, its value not yet
};

}  // namespace

Result<ExactJson> ParseExactJson(std::string_view text) {
  ExactJson out;
  NumberRecordingSax sax(out.value);
  const bool ok = json::sax_parse(text.begin(), text.end(), &sax, json::input_format_t::json,
                                  /*strict=*/true, /*ignore_comments=*/false);
  if (!sax.duplicate_key_.empty()) {
    return Status::InvalidArgument("duplicate key " + sax.duplicate_key_);
  }
  if (!ok || sax.is_errored()) {
    return Status::InvalidArgument(sax.error_.empty() ? "malformed JSON" : sax.error_);
  }
  out.number_text = std::move(sax.numbers);
  return out;
}

std::string TopLevelMemberAt(std::string_view text, size_t offset) {
  json ignored;
  NumberRecordingSax sax(ignored);
  const std::string_view before = text.substr(0, offset);
  // Stops with an error at the end of `before`, where the member is known.
  json::sax_parse(before.begin(), before.end(), &sax, json::input_format_t::json,
                  /*strict=*/true, /*ignore_comments=*/false);
  return sax.TopLevelMember();
}

}  // namespace wanderluxe
