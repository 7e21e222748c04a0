// Port: a durable archive of audit records (files, a Mongo collection).
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
