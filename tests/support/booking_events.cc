#include "support/booking_events.h"

#include <doctest/doctest.h>

#include <chrono>

#include "adapters/kafka/kafka_producer.h"
#include "wanderluxe/booking_event.h"
#include "wanderluxe/ids.h"

namespace wanderluxe::testing {

namespace {
constexpr std::chrono::seconds kPublishTimeout{10};
}  // namespace

void PublishBookings(const KafkaConfig& kafka, const std::string& topic,
                     const std::string& property, const std::string& id_prefix, int count,
                     int64_t minor_units, const std::string& user_id) {
  auto producer = KafkaProducer::Create(kafka);
  REQUIRE_MESSAGE(producer.ok(), producer.status().ToString());
  for (int i = 0; i < count; ++i) {
    BookingEvent e;
    e.event_id = NewUuid();
    e.timestamp = NowIso8601();
    e.request = {id_prefix + std::to_string(i), property, user_id, {minor_units, "USD"}, "", ""};
    const Status published =
        (*producer)->Publish({topic, property, EncodeBookingEvent(e), {}}, kPublishTimeout);
    REQUIRE_MESSAGE(published.ok(), published.ToString());
  }
}

}  // namespace wanderluxe::testing
