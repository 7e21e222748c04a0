// ArchiveSink over a MongoDB collection (`audit_events`), one document per
// event with _id = eventId (raw coordinates for unreadable events): a
// redelivered event hits the unique _id and is already archived.
#ifndef WANDERLUXE_ADAPTERS_MONGO_MONGO_ARCHIVE_H_
#define WANDERLUXE_ADAPTERS_MONGO_MONGO_ARCHIVE_H_

#include "adapters/mongo/mongo_store.h"
#include "wanderluxe/ports/archive_sink.h"

namespace wanderluxe {

class MongoArchive final : public ArchiveSink {
 public:
  MongoArchive(MongoStore& store, std::string collection)
      : store_(store), collection_(std::move(collection)) {}

  // Indexes for the trail query; safe to call on every start.
  Status EnsureIndexes();

  std::string name() const override { return "mongo"; }
  Status Append(const std::vector<AuditRecord>& records) override;

  // Every archived event of `booking_id`, oldest first.
  Result<std::vector<std::string>> Trail(const std::string& booking_id);

 private:
  MongoStore& store_;
  const std::string collection_;
};

}  // namespace wanderluxe

#endif  // WANDERLUXE_ADAPTERS_MONGO_MONGO_ARCHIVE_H_
