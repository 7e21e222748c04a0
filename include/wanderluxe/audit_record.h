// One archived Kafka record: the raw event exactly as it was on the topic,
// where it was (topic, partition, offset), when we received it, and — when the
// event could be read — the ids an auditor searches by.
#ifndef WANDERLUXE_AUDIT_RECORD_H_
#define WANDERLUXE_AUDIT_RECORD_H_

#include <cstdint>
#include <string>
#include <vector>

#include "wanderluxe/ports/event_consumer.h"

namespace wanderluxe {

struct AuditRecord {
  std::string archive_id;  // eventId, or "raw:<topic>:<partition>:<offset>" when unreadable
  std::string topic;
  int32_t partition = 0;
  int64_t offset = 0;
  std::string key;
  std::string value;          // the bytes of the event; see value_base64
  bool value_base64 = false;  // true when the bytes were not UTF-8 and are stored base64
  std::vector<EventHeader> headers;
  int64_t kafka_timestamp_ms = 0;
  std::string received_at;  // RFC 3339, when the archiver read it
  std::string event_id;     // empty when the event could not be read
  std::string event_type;
  std::string booking_id;
  std::string decode_error;  // why the event could not be read, or empty

  // One JSON object (a line of the file archive, a document of the Mongo one).
  std::string ToJson() const;
};

// Builds the record; never fails: an unreadable event is archived as raw bytes
// with the decode error, so the archive never drops and never blocks on poison.
AuditRecord MakeAuditRecord(const ConsumedEvent& event, const std::string& received_at);

}  // namespace wanderluxe

#endif  // WANDERLUXE_AUDIT_RECORD_H_
