#include "drill_cluster/answers_against_topic.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

namespace wanderluxe::testing {

AnswersAgainstTopic HoldAgainstTopic(const RetryingHerdResult& herd,
                                     const std::vector<ConsumedEvent>& requests,
                                     const std::map<std::string, BookingStatus>& ledger) {
  std::map<std::string, std::set<std::string>> events_of;  // bookingId -> eventIds
  for (const ConsumedEvent& m : requests) {
    const auto json = nlohmann::json::parse(m.value, nullptr, /*allow_exceptions=*/false);
    if (!json.is_object() || !json.contains("payload")) continue;
    events_of[json["payload"].value("bookingId", "")].insert(json.value("eventId", ""));
  }
  AnswersAgainstTopic out;
  bool any_refusal = false;
  for (const KeyOutcome& key : herd.keys) {
    for (size_t i = 0; i < key.answers.size(); ++i) {
      if (key.answers[i] == 202) continue;
      ++out.not_accepted_answers;
      const double at = key.answered_s[i];
      out.first_not_accepted_s = any_refusal ? std::min(out.first_not_accepted_s, at) : at;
      out.last_not_accepted_s = any_refusal ? std::max(out.last_not_accepted_s, at) : at;
      any_refusal = true;
    }
    const auto on_topic = events_of.find(key.key);
    if (key.final_status == 503) {
      ++out.final_503;
      if (on_topic != events_of.end()) out.refused_but_written.push_back(key.key);
    } else if (key.final_status == 202) {
      ++out.final_202;
      const std::string& event_id = key.accepted.back().event_id;
      if (on_topic == events_of.end() || on_topic->second.count(event_id) == 0) {
        out.accepted_not_written.push_back(key.key);
      }
      const auto status = ledger.find(key.key);
      if (status == ledger.end() || !IsTerminal(status->second)) {
        out.accepted_not_terminal.push_back(key.key);
      }
    } else {
      out.unresolved.push_back(key.key + ":" + std::to_string(key.final_status));
    }
  }
  for (const auto& [status, n] : herd.statuses) {
    out.statuses += " " + std::to_string(status) + ":" + std::to_string(n);
  }
  return out;
}

}  // namespace wanderluxe::testing
