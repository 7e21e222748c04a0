// Appends JSON text to a string without building a document first: the
// per-request encoders (the booking event, the 202's body) run on the intake's
// hot path, where nlohmann::json's tree of std::map nodes cost more than the
// rest of the request (DESIGN.md "Gateway").
//
// The bytes are those nlohmann::json's dump() writes for the same values in
// the same member order: strings escaped alike (control characters as \u00xx,
// lowercase), no whitespace. Callers list members in sorted order when they
// must match a dump() of a std::map-backed object.
//
// Not thread-safe: one writer, one thread.
#ifndef WANDERLUXE_CORE_JSON_WRITER_H_
#define WANDERLUXE_CORE_JSON_WRITER_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace wanderluxe {

class JsonWriter {
 public:
  // Appends to `*out`, which must outlive the writer.
  explicit JsonWriter(std::string* out) : out_(*out) {}

  void BeginObject();
  void EndObject();
  // Each value inside an object is preceded by its key, which writes the comma.
  void Key(std::string_view key);

  // `text` must be UTF-8 (RFC 3629): anything else is a programmer error and
  // throws std::invalid_argument, as dump() throws on it.
  void String(std::string_view text);
  void Int(int64_t value);
  // A token that is already JSON, such as an exact decimal amount.
  void Raw(std::string_view token);

 private:
  void Escaped(std::string_view text);

  std::string& out_;
  bool need_comma_ = false;  // a member was written since the last '{'
};

}  // namespace wanderluxe

#endif  // WANDERLUXE_CORE_JSON_WRITER_H_
