// Booking events put straight on a requests topic, as the gateway would have:
// for tests of the processor and the audit that need no gateway.
#ifndef WANDERLUXE_TESTS_SUPPORT_BOOKING_EVENTS_H_
#define WANDERLUXE_TESTS_SUPPORT_BOOKING_EVENTS_H_

#include <cstdint>
#include <string>

#include "wanderluxe/config.h"

namespace wanderluxe::testing {

// Publishes `count` events for `property` to `topic`, keyed by the property,
// each acknowledged before the next: bookingIds `<id_prefix><i>`, amount
// `minor_units` USD, a fresh eventId each. Fails the test on any error.
void PublishBookings(const KafkaConfig& kafka, const std::string& topic,
                     const std::string& property, const std::string& id_prefix, int count,
                     int64_t minor_units, const std::string& user_id = "");

}  // namespace wanderluxe::testing

#endif  // WANDERLUXE_TESTS_SUPPORT_BOOKING_EVENTS_H_
