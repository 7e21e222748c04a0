#include "adapters/mongo/mongo_ledger.h"

#include <nlohmann/json.hpp>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cstdio>
#include <set>
#include <string>
#include <thread>

namespace wanderluxe {
namespace {

using nlohmann::json;

json EntryJson(const LedgerEntry& e) {
  return {{"action", e.action}, {"timestamp", e.timestamp}, {"detail", e.detail}};
}

// A document we cannot read: the decoder's one error (caught below, never past it).
struct Unreadable : std::runtime_error {
  using std::runtime_error::runtime_error;
};

int64_t ParseInt64(const std::string& text) {
  int64_t value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end || text.empty()) throw Unreadable("not an integer: " + text);
  return value;
}

// Relaxed extended JSON prints 64-bit integers plainly, or as {"$numberLong": "..."}.
int64_t Int(const json& v) {
  if (v.is_object() && v.contains("$numberLong"))
    return ParseInt64(v["$numberLong"].get<std::string>());
  if (v.is_object() && v.contains("$numberInt"))
    return ParseInt64(v["$numberInt"].get<std::string>());
  if (!v.is_number_integer()) throw Unreadable("not an integer: " + v.dump());
  return v.get<int64_t>();
}

json LeaseJson(const Lease& l) {
  return {{"owner", l.owner}, {"token", l.token}, {"untilMs", l.until_ms}};
}

Lease ParseLease(const json& d) {
  if (!d.is_object()) return {};
  return {d.value("owner", ""), d.contains("token") ? Int(d["token"]) : 0,
          d.contains("untilMs") ? Int(d["untilMs"]) : 0};
}

// The operators that write `changes`, in order, onto a booking's document:
// later fields win, every auditLog entry is appended, the version moves by
// one per change.
json UpdateFor(const std::vector<LedgerChange>& changes) {
  json set = json::object();
  json entries = json::array();
  for (const LedgerChange& change : changes) {
    set["status"] = BookingStatusName(change.to);
    set["payment.status"] = PaymentStatusName(change.payment_status);
    const std::string updated_at = !change.updated_at.empty()
                                       ? change.updated_at
                                       : (change.entry ? change.entry->timestamp : "");
    if (!updated_at.empty()) set["updatedAt"] = updated_at;
    if (!change.transaction_id.empty()) set["payment.transactionId"] = change.transaction_id;
    if (change.lease) set["lease"] = LeaseJson(*change.lease);
    if (change.waitlist_position > 0) set["waitlistPosition"] = change.waitlist_position;
    if (change.outcome_owed) set["outcomeOwed"] = *change.outcome_owed;
    if (change.entry) entries.push_back(EntryJson(*change.entry));
  }
  json update = {{"$set", set}, {"$inc", {{"version", static_cast<int64_t>(changes.size())}}}};
  if (!entries.empty()) update["$push"] = {{"auditLog", {{"$each", entries}}}};
  return update;
}

std::string ClaimId(const std::string& booking_id, int64_t version) {
  return booking_id + "#" + std::to_string(version);
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

std::vector<std::string> ShardCollections(const char* base, int64_t shards) {
  if (shards <= 1) return {base};
  std::vector<std::string> names;
  for (int64_t i = 0; i < shards; ++i) {
    char name[48];
    std::snprintf(name, sizeof name, "%s_%02lld", base, static_cast<long long>(i));
    names.push_back(name);
  }
  return names;
}

}  // namespace

MongoLedger::MongoLedger(MongoStore& store)
    : store_(store),
      collections_(ShardCollections(kBookingsCollection, store.config().ledger_shards)),
      claims_(ShardCollections(kClaimsCollection, store.config().ledger_shards)),
      write_down_(store.config().write_down == "immediate" ? WriteDownMode::kImmediate
                                                           : WriteDownMode::kAtEnd) {}

size_t MongoLedger::ShardOf(const std::string& booking_id) const {
  return StableHash(booking_id) % collections_.size();
}

std::vector<MongoLedger::ShardGroup> MongoLedger::GroupByShard(
    const std::vector<std::string>& booking_ids) const {
  std::vector<std::vector<size_t>> by_shard(collections_.size());
  for (size_t i = 0; i < booking_ids.size(); ++i) by_shard[ShardOf(booking_ids[i])].push_back(i);
  std::vector<ShardGroup> groups;
  for (size_t shard = 0; shard < by_shard.size(); ++shard) {
    if (!by_shard[shard].empty()) groups.push_back({shard, std::move(by_shard[shard])});
  }
  return groups;
}

const std::string& MongoLedger::CollectionFor(const std::string& booking_id) const {
  return collections_[ShardOf(booking_id)];
}

const std::string& MongoLedger::ClaimsFor(const std::string& booking_id) const {
  return claims_[ShardOf(booking_id)];
}

Result<std::vector<std::string>> MongoLedger::FindEverywhere(const std::string& filter,
                                                             const std::string& sort, int64_t limit,
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
  for (const auto* names : {&collections_, &claims_}) {
    for (const auto& collection : *names) {
      if (Status s = store_.DropCollection(collection); !s.ok()) return s;
    }
  }
  for (const char* collection : {kPresenceCollection, kLayoutCollection}) {
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
                {"amount",
                 FormatDecimalAmount(q.amount.minor_units, CurrencyMinorDigits(q.amount.currency))},
                {"currency", q.amount.currency},
                {"transactionId", r.transaction_id},
                {"status", PaymentStatusName(r.payment_status)}}},
              {"auditLog", json::array()},
              {"lease", LeaseJson(r.lease)},
              {"createdAt", r.created_at},
              {"updatedAt", r.updated_at},
              {"version", r.version}};
  if (!q.check_in.empty()) doc["dates"] = {{"checkIn", q.check_in}, {"checkOut", q.check_out}};
  if (r.waitlist_position > 0) doc["waitlistPosition"] = r.waitlist_position;
  if (r.outcome_owed) doc["outcomeOwed"] = true;
  if (!r.client_id.empty()) doc["clientId"] = r.client_id;
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
    if (d.contains("waitlistPosition")) r.waitlist_position = Int(d["waitlistPosition"]);
    r.outcome_owed = d.value("outcomeOwed", false);
    r.client_id = d.value("clientId", "");
    if (d.contains("lease")) r.lease = ParseLease(d["lease"]);
    r.created_at = d.value("createdAt", "");
    r.updated_at = d.value("updatedAt", "");
    for (const auto& e : d.value("auditLog", json::array())) {
      r.audit_log.push_back(
          {e.value("action", ""), e.value("timestamp", ""), e.value("detail", "")});
    }
    return r;
  } catch (const std::exception& e) {  // json::exception or Unreadable
    return Status::Internal(std::string("unreadable ledger document: ") + e.what());
  }
}

std::string ClaimDocument(const std::string& booking_id, BookingStatus from, int64_t version,
                          const LedgerChange& change) {
  json c = {{"to", BookingStatusName(change.to)},
            {"paymentStatus", PaymentStatusName(change.payment_status)},
            {"transactionId", change.transaction_id},
            {"updatedAt", change.updated_at}};
  if (change.entry) c["entry"] = EntryJson(*change.entry);
  if (change.lease) c["lease"] = LeaseJson(*change.lease);
  if (change.waitlist_position > 0) c["waitlistPosition"] = change.waitlist_position;
  if (change.outcome_owed) c["outcomeOwed"] = *change.outcome_owed;
  return json{{"_id", ClaimId(booking_id, version)},
              {"bookingId", booking_id},
              {"from", BookingStatusName(from)},
              {"version", version},
              {"change", c}}
      .dump();
}

namespace {

// A document as SummarizeProperties projects it: (propertyId, summary).
Result<std::pair<std::string, BookingSummary>> ParseSummary(const std::string& text) {
  try {
    const json d = json::parse(text);
    BookingSummary summary;
    summary.booking_id = d.at("_id").get<std::string>();
    auto status = ParseBookingStatus(d.at("status").get<std::string>());
    if (!status) throw Unreadable("unknown status " + d.at("status").dump());
    summary.status = *status;
    summary.waited = d.contains("waitlistPosition") && Int(d["waitlistPosition"]) > 0;
    summary.version = d.contains("version") ? Int(d["version"]) : 1;
    return std::make_pair(d.at("propertyId").get<std::string>(), std::move(summary));
  } catch (const std::exception& e) {  // json::exception or Unreadable
    return Status::Internal("unreadable booking document: " + std::string(e.what()));
  }
}

}  // namespace

Result<Claim> ParseClaimDocument(const std::string& text) {
  try {
    const json d = json::parse(text);
    const json& c = d.at("change");
    auto from = ParseBookingStatus(d.at("from").get<std::string>());
    auto to = ParseBookingStatus(c.at("to").get<std::string>());
    auto payment = ParsePaymentStatus(c.at("paymentStatus").get<std::string>());
    if (!from || !to || !payment) return Status::Internal("claim with an unknown status");
    Claim claim{*from,
                {*to, *payment, c.value("transactionId", ""), std::nullopt, std::nullopt,
                 c.value("updatedAt", "")}};
    if (c.contains("entry")) {
      const json& e = c["entry"];
      claim.change.entry =
          LedgerEntry{e.value("action", ""), e.value("timestamp", ""), e.value("detail", "")};
    }
    if (c.contains("lease")) claim.change.lease = ParseLease(c["lease"]);
    if (c.contains("waitlistPosition")) claim.change.waitlist_position = Int(c["waitlistPosition"]);
    if (c.contains("outcomeOwed")) claim.change.outcome_owed = c["outcomeOwed"].get<bool>();
    return claim;
  } catch (const std::exception& e) {
    return Status::Internal(std::string("unreadable ledger claim: ") + e.what());
  }
}

Status MongoLedger::EnsureIndexes() {
  for (const auto& [name, keys] :
       {std::pair{"propertyId_status", R"({"propertyId":1,"status":1})"},
        std::pair{"userId", R"({"userId":1})"},
        std::pair{"status_updatedAt", R"({"status":1,"updatedAt":1})"},
        std::pair{"outcomeOwed_updatedAt", R"({"outcomeOwed":1,"updatedAt":1})"}}) {
    for (const auto& collection : collections_) {
      if (Status s = store_.CreateIndex(collection, name, keys, false); !s.ok()) return s;
    }
  }
  return Status::Ok();
}

Status MongoLedger::RecordLayout() {
  const MongoConfig& c = store_.config();
  const json layout = {
      {"_id", kBookingsCollection}, {"shards", c.ledger_shards}, {"lookup", c.ledger_lookup}};
  Status inserted = store_.InsertOne(kLayoutCollection, layout.dump());
  if (inserted.code() != StatusCode::kAlreadyExists) return inserted;
  auto recorded = store_.FindById(kLayoutCollection, kBookingsCollection);
  if (!recorded.ok()) return recorded.status();
  if (!recorded->has_value()) return Status::Internal("ledger layout vanished after insert");
  json d = json::parse(**recorded, nullptr, /*allow_exceptions=*/false);
  int64_t shards = -1;
  std::string lookup;
  try {
    shards = Int(d.at("shards"));
    lookup = d.at("lookup").get<std::string>();
  } catch (const std::exception& e) {
    return Status::Internal("unreadable ledger layout " + **recorded);
  }
  if (shards == c.ledger_shards && lookup == c.ledger_lookup) return Status::Ok();
  return Status::FailedPrecondition(
      "the ledger in database " + c.database +
      " was created with mongo.ledger_shards=" + std::to_string(shards) +
      " and mongo.ledger_lookup=" + lookup + "; this process is configured with " +
      std::to_string(c.ledger_shards) + " and " + c.ledger_lookup +
      ". Refusing to start: bookings would be looked for in the wrong collections");
}

bool MongoLedger::UsesPresenceMarkers() const {
  return store_.config().ledger_lookup == "presence-markers";
}

Result<std::vector<bool>> MongoLedger::MarkPresent(const std::vector<std::string>& ids) {
  std::vector<std::string> markers;
  markers.reserve(ids.size());
  for (const auto& id : ids) markers.push_back(json{{"_id", id}}.dump());
  return store_.InsertManyEach(kPresenceCollection, markers);
}

void MongoLedger::RememberMarked(const std::vector<std::string>& ids) {
  MutexLock lock(&marks_mu_);
  for (const auto& id : ids) {
    if (!marked_.insert(id).second) continue;
    marked_order_.push_back(id);
    if (marked_order_.size() > kRememberedMarks) {
      marked_.erase(marked_order_.front());
      marked_order_.pop_front();
    }
  }
}

std::vector<std::string> MongoLedger::NotMarked(const std::vector<std::string>& ids) {
  MutexLock lock(&marks_mu_);
  std::vector<std::string> out;
  for (const auto& id : ids) {
    if (!marked_.count(id)) out.push_back(id);
  }
  return out;
}

Status MongoLedger::Insert(const BookingRecord& record) {
  const std::vector<std::string> id = {record.request.booking_id};
  if (UsesPresenceMarkers() && !NotMarked(id).empty()) {
    auto marked = MarkPresent(id);  // kPresence: before the record
    if (!marked.ok()) return marked.status();
    RememberMarked(id);
  }
  return store_.InsertOne(CollectionFor(record.request.booking_id), BookingDocument(record));
}

Result<std::map<std::string, BookingRecord>> MongoLedger::GetMany(
    const std::vector<std::string>& booking_ids) {
  std::map<std::string, BookingRecord> found;
  if (booking_ids.empty()) return found;
  if (UsesPresenceMarkers()) {
    auto fresh = MarkPresent(booking_ids);
    if (!fresh.ok()) return fresh.status();
    RememberMarked(booking_ids);
    for (size_t i = 0; i < booking_ids.size(); ++i) {
      if ((*fresh)[i]) continue;  // kPresence: never marked, so never recorded
      auto record = Get(booking_ids[i]);
      if (!record.ok()) return record.status();
      if (record->has_value()) found.emplace(booking_ids[i], std::move(**record));
    }
    return found;
  }
  return FindIn(booking_ids);
}

Result<std::map<std::string, BookingRecord>> MongoLedger::GetRecorded(
    const std::vector<std::string>& booking_ids) {
  return FindIn(booking_ids);
}

Result<std::map<std::string, BookingRecord>> MongoLedger::FindIn(
    const std::vector<std::string>& booking_ids) {
  const std::vector<ShardGroup> groups = GroupByShard(booking_ids);
  std::vector<Result<std::vector<BookingRecord>>> results(groups.size(),
                                                          std::vector<BookingRecord>());
  OnShardsAtOnce(groups.size(), [&](size_t k) {
    std::vector<std::string> ids;
    for (size_t i : groups[k].positions) ids.push_back(booking_ids[i]);
    results[k] = FindInShard(groups[k].shard, ids);
  });
  std::map<std::string, BookingRecord> found;
  for (auto& result : results) {
    if (!result.ok()) return result.status();
    for (BookingRecord& record : *result) {
      std::string id = record.request.booking_id;
      found.emplace(std::move(id), std::move(record));
    }
  }
  return found;
}

Result<std::vector<BookingRecord>> MongoLedger::FindInShard(size_t shard,
                                                            const std::vector<std::string>& ids) {
  auto docs = store_.Find(collections_[shard], json{{"_id", {{"$in", ids}}}}.dump());
  if (!docs.ok()) return docs.status();
  std::vector<BookingRecord> records;
  std::vector<std::string> next_claims;  // the claim each record's next transition would be
  for (const auto& d : *docs) {
    auto record = ParseBookingDocument(d);
    if (!record.ok()) return record.status();
    next_claims.push_back(ClaimId(record->request.booking_id, record->version));
    records.push_back(std::move(*record));
  }
  if (records.empty()) return records;
  // kReadsClaims: one read finds the records whose claims run past their
  // documents; only those walk their claims (CatchUp), the rest are current.
  auto ahead = store_.Find(claims_[shard], json{{"_id", {{"$in", next_claims}}}}.dump(), "{}", 0,
                           R"({"_id":1})");
  if (!ahead.ok()) return ahead.status();
  std::set<std::string> behind;
  for (const auto& c : *ahead) {
    json doc = json::parse(c, nullptr, /*allow_exceptions=*/false);
    if (doc.is_object() && doc["_id"].is_string()) behind.insert(doc["_id"].get<std::string>());
  }
  for (BookingRecord& record : records) {
    if (!behind.count(ClaimId(record.request.booking_id, record.version))) continue;
    if (Status s = CatchUp(record); !s.ok()) return s;
  }
  return records;
}

void MongoLedger::OnShardsAtOnce(size_t n, const std::function<void(size_t)>& work) {
  std::atomic<size_t> next{0};
  auto take_turns = [&] {
    for (size_t k; (k = next.fetch_add(1)) < n;) work(k);
  };
  std::vector<std::thread> pool;
  for (size_t t = 1; t < std::min(n, kParallelShardBulks); ++t) pool.emplace_back(take_turns);
  take_turns();
  for (auto& t : pool) t.join();
}

Result<std::vector<InsertOutcome>> MongoLedger::InsertMany(
    const std::vector<BookingRecord>& records) {
  std::vector<InsertOutcome> outcomes(records.size(), InsertOutcome::kInserted);
  if (records.empty()) return outcomes;
  std::vector<std::string> ids;
  ids.reserve(records.size());
  for (const auto& r : records) ids.push_back(r.request.booking_id);
  if (UsesPresenceMarkers()) {
    const std::vector<std::string> unmarked = NotMarked(ids);
    if (!unmarked.empty()) {
      auto marked = MarkPresent(unmarked);  // kPresence: before the records
      if (!marked.ok()) return marked.status();
      RememberMarked(unmarked);
    }
  }
  // Each shard's records in one bulk, the shards' bulks at once, a few
  // threads each taking shards in turn: each bulk is a commit of its own (an
  // fsync on FerretDB's PostgreSQL), and concurrent commits share their
  // fsyncs (group commit), so a few bulks at once end sooner than the same
  // bulks one after another.
  const std::vector<ShardGroup> groups = GroupByShard(ids);
  std::vector<Result<std::vector<bool>>> results(groups.size(), std::vector<bool>());
  OnShardsAtOnce(groups.size(), [&](size_t k) {
    std::vector<std::string> docs;
    for (size_t i : groups[k].positions) docs.push_back(BookingDocument(records[i]));
    results[k] = store_.InsertManyEach(collections_[groups[k].shard], docs);
  });
  for (size_t k = 0; k < groups.size(); ++k) {
    if (!results[k].ok()) return results[k].status();
    const std::vector<size_t>& back = groups[k].positions;
    for (size_t j = 0; j < back.size(); ++j) {
      if (!(*results[k])[j]) outcomes[back[j]] = InsertOutcome::kExists;
    }
  }
  return outcomes;
}

Result<std::optional<BookingRecord>> MongoLedger::Get(const std::string& booking_id) {
  auto doc = store_.FindById(CollectionFor(booking_id), booking_id);
  if (!doc.ok()) return doc.status();
  if (!doc->has_value()) return std::optional<BookingRecord>();
  auto record = ParseBookingDocument(**doc);
  if (!record.ok()) return record.status();
  if (Status s = CatchUp(*record); !s.ok()) return s;
  return std::optional<BookingRecord>(std::move(*record));
}

Status MongoLedger::CatchUp(BookingRecord& record) {
  const std::string& booking_id = record.request.booking_id;
  const std::string& claims = ClaimsFor(booking_id);
  for (int ahead = 0;; ++ahead) {
    auto claim_doc = store_.FindById(claims, ClaimId(booking_id, record.version));
    if (!claim_doc.ok()) return claim_doc.status();
    if (!claim_doc->has_value()) return Status::Ok();
    if (ahead == kMaxClaimsAhead) {
      return Status::Internal("booking " + booking_id + " has more than " +
                              std::to_string(kMaxClaimsAhead) + " claims past its document");
    }
    auto claim = ParseClaimDocument(**claim_doc);
    if (!claim.ok()) return claim.status();
    if (claim->from != record.status || !IsAllowedTransition(record.status, claim->change.to) ||
        !IsAllowedPaymentChange(record.payment_status, claim->change.payment_status)) {
      return Status::Internal("claim " + ClaimId(booking_id, record.version) +
                              " does not follow the booking's state " +
                              std::string(BookingStatusName(record.status)));
    }
    const int64_t version = record.version;
    ApplyChange(record, claim->change);
    // The answer is the claims' whatever happens here; the write-down only
    // spares the next reader this walk.
    if (Status s = WriteDown(booking_id, version, {claim->change}, nullptr); !s.ok()) {
      spdlog::warn("ledger: {} version {} read from its claim, written down later: {}", booking_id,
                   version + 1, s.ToString());
    }
  }
}

Status MongoLedger::WriteDown(const std::string& booking_id, int64_t version,
                              const std::vector<LedgerChange>& changes, bool* matched) {
  // Two writers of one version write the same changes; a document already
  // past `version` is left alone.
  const json filter = {{"_id", booking_id}, {"version", version}};
  auto n = store_.UpdateOne(CollectionFor(booking_id), filter.dump(), UpdateFor(changes).dump());
  if (!n.ok()) return n.status();
  if (matched != nullptr) *matched = *n > 0;
  return Status::Ok();
}

std::optional<MongoLedger::PendingWriteDown> MongoLedger::TakePending(
    const std::string& booking_id) {
  MutexLock lock(&pending_mu_);
  auto it = pending_.find(booking_id);
  if (it == pending_.end()) return std::nullopt;
  PendingWriteDown taken = std::move(it->second);
  pending_.erase(it);
  return taken;
}

void MongoLedger::Defer(const std::string& booking_id, int64_t version,
                        const LedgerChange& change) {
  MutexLock lock(&pending_mu_);
  auto [it, fresh] = pending_.try_emplace(booking_id);
  PendingWriteDown& p = it->second;
  if (fresh || p.version + static_cast<int64_t>(p.changes.size()) != version) {
    // Not this process's chain any more (another driver won versions in
    // between): what it held is left to the readers, who catch up through the claims.
    p = PendingWriteDown{version, {}, ++pending_seq_};
    pending_order_.emplace_back(booking_id, p.seq);
  }
  p.changes.push_back(change);
  // Bounded: the oldest chains are dropped, never written here (their
  // bookings' readers catch up through the claims).
  while (pending_.size() > kMaxPendingWriteDowns ||
         pending_order_.size() > 2 * kMaxPendingWriteDowns) {
    auto [id, seq] = pending_order_.front();
    pending_order_.pop_front();
    auto old = pending_.find(id);
    if (old != pending_.end() && old->second.seq == seq) pending_.erase(old);
  }
}

Status MongoLedger::WriteDownPending() {
  std::unordered_map<std::string, PendingWriteDown> all;
  {
    MutexLock lock(&pending_mu_);
    all.swap(pending_);
    pending_order_.clear();
  }
  Status first = Status::Ok();
  for (const auto& [id, p] : all) {
    Status s = WriteDown(id, p.version, p.changes, nullptr);
    if (!s.ok() && first.ok()) first = s;
  }
  return first;
}

Status MongoLedger::Transition(const std::string& booking_id, BookingStatus from, int64_t version,
                               const LedgerChange& change) {
  Status claimed =
      store_.InsertOne(ClaimsFor(booking_id), ClaimDocument(booking_id, from, version, change));
  if (claimed.code() == StatusCode::kAlreadyExists) {
    return LostClaim(booking_id, from, version);
  }
  if (!claimed.ok()) return claimed;
  // Won: the claim is the commit point. kWriteDownAtEnd: a change that leaves
  // the booking open waits for the next, so the document is written once
  // for the whole drive; a failed write-down is finished by the next Get
  // (CatchUp), so it is not this caller's failure either way.
  if (WaitsToBeWrittenDown(change)) {
    Defer(booking_id, version, change);
    return Status::Ok();
  }
  Status written = WriteDownChain(booking_id, version, change);
  if (!written.ok()) {
    spdlog::warn("ledger: {} version {} claimed, written down later: {}", booking_id, version + 1,
                 written.ToString());
  }
  return Status::Ok();
}

Status MongoLedger::LostClaim(const std::string& booking_id, BookingStatus from, int64_t version) {
  // The winner may not have written its change down yet (or died before it
  // could): the caller's next Get reads it from the claims. This process's
  // chain for the booking is no longer the document's future.
  TakePending(booking_id);
  return Status::FailedPrecondition("booking " + booking_id + " has moved past " +
                                    std::string(BookingStatusName(from)) + " at version " +
                                    std::to_string(version));
}

MongoLedger::ChainUpdate MongoLedger::ChainTo(const std::string& booking_id, int64_t version,
                                              const LedgerChange& change) {
  std::optional<PendingWriteDown> chain = TakePending(booking_id);
  if (chain && chain->version + static_cast<int64_t>(chain->changes.size()) == version) {
    chain->changes.push_back(change);
    return {chain->version, std::move(chain->changes)};
  }
  return {version, {change}};
}

Status MongoLedger::WriteDownChain(const std::string& booking_id, int64_t version,
                                   const LedgerChange& change) {
  const ChainUpdate chain = ChainTo(booking_id, version, change);
  bool matched = false;
  if (Status s = WriteDown(booking_id, chain.from, chain.changes, &matched); !s.ok()) return s;
  if (matched) return Status::Ok();
  // The document was not where this process left it (a reader wrote part of
  // the chain down, or another driver's chain is still pending): a read
  // brings it up to the claims, writing each down.
  auto caught_up = Get(booking_id);
  return caught_up.ok() ? Status::Ok() : caught_up.status();
}

bool MongoLedger::WaitsToBeWrittenDown(const LedgerChange& change) const {
  if (write_down_ != WriteDownMode::kAtEnd) return false;
  // An end that owes its outcome is written down with the debt paid, in
  // the one update MarkOutcomePublished makes.
  return !IsTerminal(change.to) || change.outcome_owed.value_or(false);
}

MongoLedger::FilteredUpdate MongoLedger::PaidUpdate(const PublishedOutcome& published) {
  const std::string& id = published.booking_id;
  std::optional<PendingWriteDown> chain = TakePending(id);
  if (chain && chain->version + static_cast<int64_t>(chain->changes.size()) == published.version) {
    chain->changes.back().outcome_owed = false;
    return {json{{"_id", id}, {"version", chain->version}}.dump(), UpdateFor(chain->changes).dump(),
            true};
  }
  // Written down already (or by a reader): the flag alone, at the version
  // that ended the booking.
  return {json{{"_id", id}, {"version", published.version}, {"outcomeOwed", true}}.dump(),
          json{{"$set", {{"outcomeOwed", false}}}}.dump(), false};
}

Status MongoLedger::MarkOutcomePublished(const std::string& booking_id, int64_t version) {
  const FilteredUpdate paid = PaidUpdate({booking_id, version});
  auto n = store_.UpdateOne(CollectionFor(booking_id), paid.filter, paid.update);
  if (!n.ok()) return n.status();
  if (*n == 0 && paid.writes_down) return CatchUpAndMark({booking_id, version});
  return Status::Ok();
}

Status MongoLedger::CatchUpAndMark(const PublishedOutcome& published) {
  // The document was not where this process left it: a read writes the
  // claims down (the debt with them), then the flag alone is cleared.
  auto caught_up = Get(published.booking_id);
  if (!caught_up.ok()) return caught_up.status();
  const FilteredUpdate paid = PaidUpdate(published);
  auto n = store_.UpdateOne(CollectionFor(published.booking_id), paid.filter, paid.update);
  return n.ok() ? Status::Ok() : n.status();
}

std::vector<Status> MongoLedger::TransitionMany(const std::vector<LedgerTransition>& transitions) {
  std::vector<std::string> ids;
  ids.reserve(transitions.size());
  for (const auto& t : transitions) ids.push_back(t.booking_id);
  const std::vector<ShardGroup> groups = GroupByShard(ids);
  std::vector<Result<std::vector<bool>>> claimed(groups.size(), std::vector<bool>());
  OnShardsAtOnce(groups.size(), [&](size_t k) {
    std::vector<std::string> docs;
    for (size_t i : groups[k].positions) {
      const LedgerTransition& t = transitions[i];
      docs.push_back(ClaimDocument(t.booking_id, t.from, t.version, t.change));
    }
    claimed[k] = store_.InsertManyEach(claims_[groups[k].shard], docs);
  });
  // As Transition's, per claim: lost, deferred, or written down (here in
  // one bulk per shard).
  std::vector<Status> answers(transitions.size(), Status::Ok());
  std::vector<std::vector<std::pair<std::string, std::string>>> write_downs(groups.size());
  for (size_t k = 0; k < groups.size(); ++k) {
    for (size_t j = 0; j < groups[k].positions.size(); ++j) {
      const size_t i = groups[k].positions[j];
      const LedgerTransition& t = transitions[i];
      if (!claimed[k].ok()) {
        answers[i] = claimed[k].status();  // any of them may have won
      } else if (!(*claimed[k])[j]) {
        answers[i] = LostClaim(t.booking_id, t.from, t.version);
      } else if (WaitsToBeWrittenDown(t.change)) {
        Defer(t.booking_id, t.version, t.change);
      } else {
        const ChainUpdate chain = ChainTo(t.booking_id, t.version, t.change);
        write_downs[k].emplace_back(json{{"_id", t.booking_id}, {"version", chain.from}}.dump(),
                                    UpdateFor(chain.changes).dump());
      }
    }
  }
  OnShardsAtOnce(groups.size(), [&](size_t k) {
    if (write_downs[k].empty()) return;
    auto matched = store_.UpdateEach(collections_[groups[k].shard], write_downs[k]);
    if (!matched.ok() || *matched < static_cast<int64_t>(write_downs[k].size())) {
      spdlog::warn(
          "ledger: {} of {} claimed changes in {} not written down ({}); read from "
          "their claims until their readers write them down",
          matched.ok() ? write_downs[k].size() - *matched : write_downs[k].size(),
          write_downs[k].size(), collections_[groups[k].shard],
          matched.ok() ? "not where this process left them" : matched.status().ToString());
    }
  });
  return answers;
}

Status MongoLedger::MarkOutcomesPublished(const std::vector<PublishedOutcome>& published) {
  std::vector<std::string> ids;
  ids.reserve(published.size());
  for (const auto& p : published) ids.push_back(p.booking_id);
  const std::vector<ShardGroup> groups = GroupByShard(ids);
  std::vector<std::vector<std::pair<std::string, std::string>>> updates(groups.size());
  std::vector<std::vector<size_t>> writing_down(groups.size());
  for (size_t k = 0; k < groups.size(); ++k) {
    for (size_t i : groups[k].positions) {
      FilteredUpdate paid = PaidUpdate(published[i]);
      if (paid.writes_down) writing_down[k].push_back(i);
      updates[k].emplace_back(std::move(paid.filter), std::move(paid.update));
    }
  }
  std::vector<Status> results(groups.size(), Status::Ok());
  OnShardsAtOnce(groups.size(), [&](size_t k) {
    auto matched = store_.UpdateEach(collections_[groups[k].shard], updates[k]);
    if (!matched.ok()) {
      results[k] = matched.status();
    } else if (*matched < static_cast<int64_t>(updates[k].size())) {
      // Some document was not where this process left it (or its debt was
      // paid already): those this bulk was to write down are read, which
      // writes their claims down, and marked alone.
      for (size_t i : writing_down[k]) {
        if (Status s = CatchUpAndMark(published[i]); !s.ok()) results[k] = s;
      }
    }
  });
  for (const Status& s : results) {
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

std::vector<std::string> MongoLedger::StaleFilters(const std::string& updated_before) {
  std::vector<std::string> filters;
  // Every non-terminal status: a WAITLISTED booking times out through here.
  for (BookingStatus status : {BookingStatus::kWaitlisted, BookingStatus::kReserved}) {
    filters.push_back(
        json{{"status", BookingStatusName(status)}, {"updatedAt", {{"$lt", updated_before}}}}
            .dump());
  }
  // kOutcomeOwed: a terminal booking whose driver died before it published.
  filters.push_back(json{{"outcomeOwed", true}, {"updatedAt", {{"$lt", updated_before}}}}.dump());
  return filters;
}

Result<std::vector<BookingRecord>> MongoLedger::FindStale(const std::string& updated_before,
                                                          int64_t limit) {
  std::vector<std::string> docs;
  for (const std::string& filter : StaleFilters(updated_before)) {
    auto found = FindEverywhere(filter, R"({"updatedAt":1})", limit);
    if (!found.ok()) return found.status();
    docs.insert(docs.end(), found->begin(), found->end());
  }
  std::vector<BookingRecord> out;
  for (const auto& d : docs) {
    auto r = ParseBookingDocument(d);
    if (!r.ok()) return r.status();
    out.push_back(std::move(*r));
  }
  // The oldest first across shards and statuses, and no more than asked for.
  std::sort(out.begin(), out.end(), [](const BookingRecord& a, const BookingRecord& b) {
    return a.updated_at < b.updated_at;
  });
  if (limit > 0 && static_cast<int64_t>(out.size()) > limit) out.resize(static_cast<size_t>(limit));
  return out;
}

Result<std::map<std::string, std::vector<BookingSummary>>> MongoLedger::SummarizeProperties(
    const std::vector<std::string>& property_ids) {
  std::vector<Result<std::vector<std::pair<std::string, BookingSummary>>>> results(
      collections_.size(), std::vector<std::pair<std::string, BookingSummary>>());
  OnShardsAtOnce(collections_.size(),
                 [&](size_t k) { results[k] = SummarizeShard(k, property_ids); });
  std::map<std::string, std::vector<BookingSummary>> out;
  for (const auto& p : property_ids) out[p];
  for (auto& shard : results) {
    if (!shard.ok()) return shard.status();
    for (auto& [property, summary] : *shard) out[property].push_back(std::move(summary));
  }
  return out;
}

Result<std::vector<std::pair<std::string, BookingSummary>>> MongoLedger::SummarizeShard(
    size_t shard, const std::vector<std::string>& property_ids) {
  auto docs =
      store_.Find(collections_[shard], json{{"propertyId", {{"$in", property_ids}}}}.dump(), "{}",
                  0, R"({"_id":1,"propertyId":1,"status":1,"waitlistPosition":1,"version":1})");
  if (!docs.ok()) return docs.status();
  std::vector<std::pair<std::string, BookingSummary>> summaries;
  std::map<std::string, size_t> open;  // next claim id -> its summary's place
  for (const auto& d : *docs) {
    auto summary = ParseSummary(d);
    if (!summary.ok()) return summary.status();
    if (!IsTerminal(summary->second.status)) {
      open.emplace(ClaimId(summary->second.booking_id, summary->second.version), summaries.size());
    }
    summaries.push_back(std::move(*summary));
  }
  if (open.empty()) return summaries;
  // kReadsClaims: an open booking whose claims run past its document (an
  // end not yet written down) is read through them.
  std::vector<std::string> next_claims;
  for (const auto& [claim, place] : open) next_claims.push_back(claim);
  auto ahead = store_.Find(claims_[shard], json{{"_id", {{"$in", next_claims}}}}.dump(), "{}", 0,
                           R"({"_id":1})");
  if (!ahead.ok()) return ahead.status();
  for (const auto& c : *ahead) {
    json doc = json::parse(c, nullptr, /*allow_exceptions=*/false);
    if (!doc.is_object() || !doc["_id"].is_string()) continue;
    auto it = open.find(doc["_id"].get<std::string>());
    if (it == open.end()) continue;
    BookingSummary& summary = summaries[it->second].second;
    auto record = Get(summary.booking_id);
    if (!record.ok()) return record.status();
    if (!record->has_value()) continue;
    summary.status = (*record)->status;
    summary.waited = (*record)->waitlist_position > 0;
  }
  return summaries;
}

Result<std::map<BookingStatus, int64_t>> MongoLedger::CountByStatus(
    const std::string& property_id) {
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
  auto docs =
      FindEverywhere(json{{"propertyId", property_id}}.dump(), "{}", 0, R"({"_id":1,"status":1})");
  if (!docs.ok()) return docs.status();
  std::map<std::string, BookingStatus> out;
  for (const auto& d : *docs) {
    json doc = json::parse(d, nullptr, /*allow_exceptions=*/false);
    if (!doc.is_object() || !doc["_id"].is_string() || !doc["status"].is_string()) continue;
    auto status = ParseBookingStatus(doc["status"].get<std::string>());
    if (!status)
      return Status::Internal("booking " + doc["_id"].get<std::string>() +
                              " has an unknown status");
    out[doc["_id"].get<std::string>()] = *status;
  }
  return out;
}

Result<std::vector<std::string>> MongoLedger::WaitedAndSoldOut(const std::string& property_id,
                                                               int64_t limit) {
  // A record that never waited has no waitlistPosition, which $gt never matches.
  const json filter = {{"propertyId", property_id},
                       {"status", BookingStatusName(BookingStatus::kSoldOut)},
                       {"waitlistPosition", {{"$gt", 0}}}};
  auto docs = FindEverywhere(filter.dump(), R"({"_id":1})", limit, R"({"_id":1})");
  if (!docs.ok()) return docs.status();
  std::vector<std::string> ids;
  for (const auto& d : *docs) {
    json doc = json::parse(d, nullptr, /*allow_exceptions=*/false);
    if (doc.is_object() && doc["_id"].is_string()) ids.push_back(doc["_id"].get<std::string>());
  }
  // Each shard answered up to `limit`: the first ones across them all.
  std::sort(ids.begin(), ids.end());
  if (limit > 0 && static_cast<int64_t>(ids.size()) > limit) ids.resize(static_cast<size_t>(limit));
  return ids;
}

}  // namespace wanderluxe
