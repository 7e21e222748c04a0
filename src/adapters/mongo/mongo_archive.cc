#include "adapters/mongo/mongo_archive.h"

#include <nlohmann/json.hpp>

namespace wanderluxe {

Status MongoArchive::EnsureIndexes() {
  return store_.CreateIndex(collection_, "bookingId_receivedAt",
                            R"({"bookingId":1,"receivedAt":1})", false);
}

// One bulk write per batch: on FerretDB each insert is a PostgreSQL commit of
// its own, so a write per record would bound the archive by the commit rate
// (docs/benchmarks.md has the figure). A record
// whose eventId is already archived (a redelivery) is skipped by the unique _id.
Status MongoArchive::Append(const std::vector<AuditRecord>& records) {
  std::vector<std::string> docs;
  docs.reserve(records.size());
  for (const AuditRecord& r : records) docs.push_back(r.ToJson());
  auto inserted = store_.InsertManyIgnoringDuplicates(collection_, docs);
  return inserted.ok() ? Status::Ok() : inserted.status();
}

Result<std::vector<std::string>> MongoArchive::Trail(const std::string& booking_id) {
  return store_.Find(collection_, nlohmann::json{{"bookingId", booking_id}}.dump(),
                     R"({"receivedAt":1,"topic":1,"offset":1})");
}

}  // namespace wanderluxe
