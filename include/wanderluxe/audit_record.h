// One archived Kafka record: the raw event exactly as it was on the topic,
// where it was (topic, partition, offset), when we received it, and — when the
// event could be read — the ids an auditor searches by.
//
// Every string of a record MakeAuditRecord built is text every archive can
// store: UTF-8 as RFC 3629 defines it, without U+0000 (FerretDB's PostgreSQL
// refuses it). Bytes that are not are stored base64 and marked so; decoding
// gives back the bytes exactly.
//
// Thread safety: plain values and pure functions; any thread.
#ifndef WANDERLUXE_AUDIT_RECORD_H_
#define WANDERLUXE_AUDIT_RECORD_H_

#include <cstdint>
#include <string>
#include <vector>

#include "wanderluxe/ports/event_consumer.h"

namespace wanderluxe {

struct AuditHeader {
  std::string key;  // the header's name; base64 when key_base64
  std::string value;
  bool key_base64 = false;
  bool value_base64 = false;
};

struct AuditRecord {
  // eventId, or "raw:<topic>:<partition>:<offset>:<timestamp ms>:<hash of
  // key and value>" when unreadable: the same event redelivered has the same
  // id, another event at the same place (a recreated topic) another.
  std::string archive_id;
  std::string topic;
  int32_t partition = 0;
  int64_t offset = 0;
  std::string key;
  bool key_base64 = false;
  std::string value;          // the bytes of the event; see value_base64
  bool value_base64 = false;  // true when the bytes were not text and are stored base64
  std::vector<AuditHeader> headers;
  int64_t kafka_timestamp_ms = 0;
  std::string received_at;  // RFC 3339, when the archiver read it
  std::string event_id;     // empty when the event could not be read
  std::string event_type;
  std::string booking_id;
  std::string decode_error;  // what could not be read, or empty

  // One JSON object (a line of the file archive, a document of the Mongo
  // one). Never throws.
  std::string ToJson() const;
};

// Builds the record; never fails: an unreadable event is archived as raw bytes
// with the decode error, so the archive never drops and never blocks on poison.
AuditRecord MakeAuditRecord(const ConsumedEvent& event, const std::string& received_at);

}  // namespace wanderluxe

#endif  // WANDERLUXE_AUDIT_RECORD_H_
