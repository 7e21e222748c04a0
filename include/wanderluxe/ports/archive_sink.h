// Port: a durable archive of audit records (files, a Mongo collection).
//
// Thread safety: NOT thread-safe; one thread at a time. The audit role's one
// polling thread (AuditArchiver) calls Append, batch after batch, and its
// exactly-once skip relies on that order. FileArchive keeps its open file and
// per-partition high-water marks without a lock; MongoArchive would survive
// concurrent calls (MongoStore is a client pool), but nothing may rely on it.
#ifndef WANDERLUXE_PORTS_ARCHIVE_SINK_H_
#define WANDERLUXE_PORTS_ARCHIVE_SINK_H_

#include <string>
#include <vector>

#include "wanderluxe/audit_record.h"
#include "wanderluxe/status.h"

namespace wanderluxe {

class ArchiveSink {
 public:
  virtual ~ArchiveSink() = default;

  virtual std::string name() const = 0;

  // Returns OK only once every record is durable. Idempotent: a record
  // appended again (Kafka redelivered it) is not archived twice.
  virtual Status Append(const std::vector<AuditRecord>& records) = 0;
};

}  // namespace wanderluxe

#endif  // WANDERLUXE_PORTS_ARCHIVE_SINK_H_
