#include "adapters/mongo/mongo_ledger.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>

namespace wanderluxe {
namespace {

using nlohmann::json;

json EntryJson(const LedgerEntry& e) {
  return {{"action", e.action}, {"timestamp", e.timestamp}, {"detail", e.detail}};
}

// Relaxed extended JSON prints 64-bit integers plainly, or as {"$numberLong": "..."}.
int64_t Int(const json& v) {
  if (v.is_object() && v.contains("$numberLong")) return std::stoll(v["$numberLong"].get<std::string>());
  if (v.is_object() && v.contains("$numberInt")) return std::stoll(v["$numberInt"].get<std::string>());
  return v.get<int64_t>();
}

// FNV-1a: stable across processes, platforms and releases (std::hash is not).
uint64_t StableHash(const std::string& s) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

std::vector<std::string> ShardCollections(int64_t shards) {
  if (shards <= 1) return {kBookingsCollection};
  std::vector<std::string> names;
  for (int64_t i = 0; i < shards; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "%s_%02lld", kBookingsCollection, static_cast<long long>(i));
    names.push_back(name);
  }
  return names;
}

}  // namespace

MongoLedger::MongoLedger(MongoStore& store)
    : store_(store), collections_(ShardCollections(store.config().ledger_shards)) {}

const std::string& MongoLedger::CollectionFor(const std::string& booking_id) const {
  return collections_[StableHash(booking_id) % collections_.size()];
}

Result<std::vector<std::string>> MongoLedger::FindEverywhere(const std::string& filter,
                                                             const std::string& sort,
                                                             int64_t limit,
                                                             const std::string& projection) {
  std::vector<std::string> all;
  for (const auto& collection : collections_) {
    auto docs = store_.Find(collection, filter, sort, limit, projection);
    if (!docs.ok()) return docs.status();
    all.insert(all.end(), docs->begin(), docs->end());
  }
  return all;
}

Status MongoLedger::DropAll() {
  for (const auto& collection : collections_) {
    if (Status s = store_.DropCollection(collection); !s.ok()) return s;
  }
  return Status::Ok();
}

std::string BookingDocument(const BookingRecord& r) {
  const BookingRequest& q = r.request;
  json doc = {{"_id", q.booking_id},
              {"userId", q.user_id},
              {"propertyId", q.property_id},
              {"status", BookingStatusName(r.status)},
              {"fingerprint", r.fingerprint},
              {"payment",
               {{"amountMinor", q.amount.minor_units},
                {"amount", FormatDecimalAmount(q.amount.minor_units,
                                               CurrencyMinorDigits(q.amount.currency))},
                {"currency", q.amount.currency},
                {"transactionId", r.transaction_id},
                {"status", PaymentStatusName(r.payment_status)}}},
              {"auditLog", json::array()},
              {"createdAt", r.created_at},
              {"updatedAt", r.updated_at},
              {"version", r.version}};
  if (!q.check_in.empty()) doc["dates"] = {{"checkIn", q.check_in}, {"checkOut", q.check_out}};
  for (const auto& e : r.audit_log) doc["auditLog"].push_back(EntryJson(e));
  return doc.dump();
}

Result<BookingRecord> ParseBookingDocument(const std::string& text) {
  try {
    json d = json::parse(text);
    BookingRecord r;
    r.request.booking_id = d.at("_id").get<std::string>();
    r.request.user_id = d.value("userId", "");
    r.request.property_id = d.at("propertyId").get<std::string>();
    const json& p = d.at("payment");
    r.request.amount = {Int(p.at("amountMinor")), p.at("currency").get<std::string>()};
    if (d.contains("dates")) {
      r.request.check_in = d["dates"].value("checkIn", "");
      r.request.check_out = d["dates"].value("checkOut", "");
    }
    auto status = ParseBookingStatus(d.at("status").get<std::string>());
    auto payment = ParsePaymentStatus(p.at("status").get<std::string>());
    if (!status || !payment) return Status::Internal("ledger document with unknown status");
    r.status = *status;
    r.payment_status = *payment;
    r.transaction_id = p.value("transactionId", "");
    r.fingerprint = d.value("fingerprint", "");
    r.version = Int(d.at("version"));
    r.created_at = d.value("createdAt", "");
    r.updated_at = d.value("updatedAt", "");
    for (const auto& e : d.value("auditLog", json::array())) {
      r.audit_log.push_back({e.value("action", ""), e.value("timestamp", ""), e.value("detail", "")});
    }
    return r;
  } catch (const json::exception& e) {
    return Status::Internal(std::string("unreadable ledger document: ") + e.what());
  }
}

Status MongoLedger::EnsureIndexes() {
  for (const auto& [name, keys] : {std::pair{"propertyId_status", R"({"propertyId":1,"status":1})"},
                                   std::pair{"userId", R"({"userId":1})"},
                                   std::pair{"status_updatedAt", R"({"status":1,"updatedAt":1})"}}) {
    for (const auto& collection : collections_) {
      if (Status s = store_.CreateIndex(collection, name, keys, false); !s.ok()) return s;
    }
  }
  return Status::Ok();
}

Status MongoLedger::Insert(const BookingRecord& record) {
  return store_.InsertOne(CollectionFor(record.request.booking_id), BookingDocument(record));
}

Result<std::optional<BookingRecord>> MongoLedger::Get(const std::string& booking_id) {
  auto doc = store_.FindById(CollectionFor(booking_id), booking_id);
  if (!doc.ok()) return doc.status();
  if (!doc->has_value()) return std::optional<BookingRecord>();
  auto record = ParseBookingDocument(**doc);
  if (!record.ok()) return record.status();
  return std::optional<BookingRecord>(std::move(*record));
}

Status MongoLedger::Transition(const std::string& booking_id, BookingStatus from, int64_t version,
                               const LedgerChange& change) {
  const json filter = {{"_id", booking_id}, {"status", BookingStatusName(from)}, {"version", version}};
  json set = {{"status", BookingStatusName(change.to)},
              {"payment.status", PaymentStatusName(change.payment_status)},
              {"updatedAt", change.entry.timestamp}};
  if (!change.transaction_id.empty()) set["payment.transactionId"] = change.transaction_id;
  const json update = {{"$set", set},
                       {"$inc", {{"version", 1}}},
                       {"$push", {{"auditLog", EntryJson(change.entry)}}}};
  auto matched = store_.UpdateOne(CollectionFor(booking_id), filter.dump(), update.dump());
  if (!matched.ok()) return matched.status();
  if (*matched == 0) {
    return Status::FailedPrecondition("booking " + booking_id + " is no longer " +
                                      std::string(BookingStatusName(from)) + " at version " +
                                      std::to_string(version));
  }
  return Status::Ok();
}

Result<std::vector<BookingRecord>> MongoLedger::FindStale(const std::string& updated_before,
                                                          int64_t limit) {
  const json filter = {{"status", {{"$in", {"PENDING", "RESERVED"}}}},
                       {"updatedAt", {{"$lt", updated_before}}}};
  auto docs = FindEverywhere(filter.dump(), R"({"updatedAt":1})", limit);
  if (!docs.ok()) return docs.status();
  std::vector<BookingRecord> out;
  for (const auto& d : *docs) {
    auto r = ParseBookingDocument(d);
    if (!r.ok()) return r.status();
    out.push_back(std::move(*r));
  }
  // The oldest first across shards, and no more than asked for.
  std::sort(out.begin(), out.end(),
            [](const BookingRecord& a, const BookingRecord& b) { return a.updated_at < b.updated_at; });
  if (limit > 0 && static_cast<int64_t>(out.size()) > limit) out.resize(static_cast<size_t>(limit));
  return out;
}

Result<std::map<BookingStatus, int64_t>> MongoLedger::CountByStatus(const std::string& property_id) {
  // One pass over the property's bookings (FerretDB scans; six counts would scan six times).
  const json pipeline = json::array({{{"$match", {{"propertyId", property_id}}}},
                                     {{"$group", {{"_id", "$status"}, {"n", {{"$sum", 1}}}}}}});
  std::map<BookingStatus, int64_t> counts;
  for (const auto& collection : collections_) {
    auto groups = store_.Aggregate(collection, pipeline.dump());
    if (!groups.ok()) return groups.status();
    for (const auto& g : *groups) {
      json doc = json::parse(g, nullptr, /*allow_exceptions=*/false);
      if (!doc.is_object() || !doc["_id"].is_string()) continue;
      auto status = ParseBookingStatus(doc["_id"].get<std::string>());
      if (status) counts[*status] += Int(doc["n"]);
    }
  }
  return counts;
}

Result<std::vector<std::string>> MongoLedger::IdsWithStatus(const std::string& property_id,
                                                            BookingStatus status) {
  auto docs = FindEverywhere(
      json{{"propertyId", property_id}, {"status", BookingStatusName(status)}}.dump(), "{}", 0,
      R"({"_id":1})");
  if (!docs.ok()) return docs.status();
  std::vector<std::string> ids;
  for (const auto& d : *docs) {
    json doc = json::parse(d, nullptr, /*allow_exceptions=*/false);
    if (doc.is_object() && doc.contains("_id")) ids.push_back(doc["_id"].get<std::string>());
  }
  return ids;
}

Result<std::map<std::string, BookingStatus>> MongoLedger::StatusByBooking(
    const std::string& property_id) {
  auto docs = FindEverywhere(json{{"propertyId", property_id}}.dump(), "{}", 0,
                             R"({"_id":1,"status":1})");
  if (!docs.ok()) return docs.status();
  std::map<std::string, BookingStatus> out;
  for (const auto& d : *docs) {
    json doc = json::parse(d, nullptr, /*allow_exceptions=*/false);
    if (!doc.is_object() || !doc["_id"].is_string() || !doc["status"].is_string()) continue;
    auto status = ParseBookingStatus(doc["status"].get<std::string>());
    if (!status) return Status::Internal("booking " + doc["_id"].get<std::string>() + " has an unknown status");
    out[doc["_id"].get<std::string>()] = *status;
  }
  return out;
}

}  // namespace wanderluxe
