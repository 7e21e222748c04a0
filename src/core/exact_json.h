// JSON parsing that keeps each number's original text, so that money is read
// digit by digit and never passes through a double.
#ifndef WANDERLUXE_CORE_EXACT_JSON_H_
#define WANDERLUXE_CORE_EXACT_JSON_H_

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "wanderluxe/status.h"

namespace wanderluxe {

struct ExactJson {
  nlohmann::json value;
  // JSON pointer ("/payload/amount") -> the number exactly as written.
  std::map<std::string, std::string> number_text;
};

// Parses `text`; a syntax error names the byte offset. Duplicate keys are an
// error (the last-wins rule would let two readers see different requests).
// Error messages quote no byte beyond ASCII (they are echoed to clients).
Result<ExactJson> ParseExactJson(std::string_view text);

// The top-level member of the JSON object in `text` whose value byte `offset`
// falls in, judged from the text before it alone; "" when the offset is not in
// a member's value (in a member's name, between members, or `text` is no
// object). The text before `offset` must be UTF-8.
std::string TopLevelMemberAt(std::string_view text, size_t offset);

}  // namespace wanderluxe

#endif  // WANDERLUXE_CORE_EXACT_JSON_H_
