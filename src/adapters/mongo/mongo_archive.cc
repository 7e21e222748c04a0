#include "adapters/mongo/mongo_archive.h"

#include <nlohmann/json.hpp>

namespace wanderluxe {

Status MongoArchive::EnsureIndexes() {
  return store_.CreateIndex(collection_, "bookingId_receivedAt",
                            R"({"bookingId":1,"receivedAt":1})", false);
}

Status MongoArchive::Append(const std::vector<AuditRecord>& records) {
  for (const AuditRecord& r : records) {
    Status s = store_.InsertOne(collection_, r.ToJson());
    if (s.code() == StatusCode::kAlreadyExists) continue;  // archived before a redelivery
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

Result<std::vector<std::string>> MongoArchive::Trail(const std::string& booking_id) {
  return store_.Find(collection_, nlohmann::json{{"bookingId", booking_id}}.dump(),
                     R"({"receivedAt":1,"topic":1,"offset":1})");
}

}  // namespace wanderluxe
