// A retrying herd's answers held against what the system really did: the
// requests topic read back whole, and the ledger. A 202 promises an event on
// the topic that is processed to a terminal status; a 503 promises that
// nothing was written. Shared by the cluster drills.
#ifndef WANDERLUXE_TESTS_DRILL_CLUSTER_ANSWERS_AGAINST_TOPIC_H_
#define WANDERLUXE_TESTS_DRILL_CLUSTER_ANSWERS_AGAINST_TOPIC_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "support/retrying_herd.h"
#include "wanderluxe/booking.h"
#include "wanderluxe/ports/event_consumer.h"

namespace wanderluxe::testing {

struct AnswersAgainstTopic {
  int64_t final_202 = 0;
  int64_t final_503 = 0;
  std::vector<std::string> refused_but_written;    // final 503, yet an event on the topic
  std::vector<std::string> accepted_not_written;   // 202, its eventId not on the topic
  std::vector<std::string> accepted_not_terminal;  // 202, its booking not terminal
  std::vector<std::string> unresolved;             // out of attempts without a final answer
  // Every answer other than 202 (none, 409, 503, 504): how many, and when
  // the first and the last came, in seconds after the herd started.
  int64_t not_accepted_answers = 0;
  double first_not_accepted_s = 0;
  double last_not_accepted_s = 0;
  std::string statuses;  // " 202:n 503:m ..." over every answer (0 = none)
};

// `requests`: every message of the requests topic; `ledger`: bookingId -> status.
AnswersAgainstTopic HoldAgainstTopic(const RetryingHerdResult& herd,
                                     const std::vector<ConsumedEvent>& requests,
                                     const std::map<std::string, BookingStatus>& ledger);

}  // namespace wanderluxe::testing

#endif  // WANDERLUXE_TESTS_DRILL_CLUSTER_ANSWERS_AGAINST_TOPIC_H_
