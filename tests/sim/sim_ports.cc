#include "sim/sim_ports.h"

#include <algorithm>

namespace wanderluxe::sim {
namespace {

// How long each engine may take to answer: its client's timeout.
constexpr int64_t kRedisBoundMs = 500;
constexpr int64_t kLedgerBoundMs = 1000;
// An ordinary answer takes up to this long.
constexpr int64_t kQuickMs = 3;
// Of the errors injected, this share (per mille) is one retrying cannot fix.
constexpr int64_t kHardErrorShare = 200;

}  // namespace

std::set<std::string>& Calls::FaultPoints() {
  static std::set<std::string> points;
  return points;
}

void Calls::Enter(const char* point, const std::string& detail, int64_t bound_ms) {
  if (Fault(point, "freeze", plan_.freeze)) {
    scheduler_.Freeze(scheduler_.Between(1, plan_.freeze_ms));
  }
  const bool slow = Fault(point, "slow", plan_.slow);
  scheduler_.Delay(slow ? scheduler_.Between(1, bound_ms) : scheduler_.Between(0, kQuickMs), point,
                   detail);
}

bool Calls::Fault(const char* point, const char* kind, int64_t rate) {
  if (!plan_.enabled || rate <= 0 || !scheduler_.Chance(rate)) return false;
  std::string name = std::string(point) + ":" + kind;
  scheduler_.Note("fault", name);
  FaultPoints().insert(std::move(name));
  return true;
}

// --- SimInventory ---

void SimInventory::Seed(const std::string& property, int64_t units, WaitlistPolicy waitlist) {
  Property& p = properties_[property];
  p.total = units;
  p.available = units;
  p.waitlist = waitlist;
}

Result<std::vector<std::string>> SimInventory::Restock(const std::string& property, int64_t units) {
  if (Status s = Before("redis.seed", property); !s.ok()) return s;
  Property& p = properties_.at(property);
  const auto taken = static_cast<int64_t>(p.holds.size() + p.sold.size());
  if (units < taken) return Status::FailedPrecondition("seed: below held + sold");
  int64_t free = units - taken;
  std::vector<std::string> handed;
  while (free > 0 && !p.waiting.empty()) {
    handed.push_back(p.waiting.front().first);
    p.holds.insert(p.waiting.front().first);
    p.waiting.pop_front();
    --free;
  }
  p.available = free;
  p.total = units;
  if (Status s = After("redis.seed"); !s.ok()) return s;
  return handed;
}

Status SimInventory::Before(const char* point, const std::string& id) {
  calls_.Enter(point, id, kRedisBoundMs);
  if (!calls_.Fault(point, "error", calls_.plan().error)) return Status::Ok();
  return Status::Unavailable(std::string("redis: connection refused (") + point + ")");
}

Status SimInventory::After(const char* point) {
  if (!calls_.Fault(point, "lost-reply", calls_.plan().lost_reply)) return Status::Ok();
  calls_.scheduler().Delay(kRedisBoundMs);
  return Status::DeadlineExceeded(std::string("redis: no reply in time (") + point + ")");
}

Reservation SimInventory::ReserveNow(Property& p, const std::string& b) {
  if (p.holds.count(b)) return {ReserveOutcome::kAlreadyHeld};
  if (p.sold.count(b)) return {ReserveOutcome::kAlreadySold};
  for (size_t i = 0; i < p.waiting.size(); ++i) {
    if (p.waiting[i].first == b) return {ReserveOutcome::kWaitlisted, static_cast<int64_t>(i + 1)};
  }
  if (p.available <= 0) {
    const int64_t room = std::min(p.waitlist.max, p.waitlist.per_unit * p.total);
    if (!p.holds.empty() && static_cast<int64_t>(p.waiting.size()) < room) {
      p.waiting.emplace_back(b, calls_.scheduler().now_ms());
      return {ReserveOutcome::kWaitlisted, static_cast<int64_t>(p.waiting.size())};
    }
    return {ReserveOutcome::kSoldOut};
  }
  --p.available;
  p.holds.insert(b);
  return {ReserveOutcome::kReserved};
}

Result<Reservation> SimInventory::Reserve(const std::string& property, const std::string& b) {
  if (Status s = Before("redis.reserve", b); !s.ok()) return s;
  auto it = properties_.find(property);
  const Reservation r = it == properties_.end() ? Reservation{ReserveOutcome::kUnknownProperty}
                                                : ReserveNow(it->second, b);
  if (Status s = After("redis.reserve"); !s.ok()) return s;
  return r;
}

Result<std::vector<Reservation>> SimInventory::ReserveBatch(const std::string& property,
                                                            const std::vector<std::string>& ids) {
  if (Status s = Before("redis.reserve-batch", property); !s.ok()) return s;
  std::vector<Reservation> out;
  auto it = properties_.find(property);
  for (const auto& b : ids) {
    out.push_back(it == properties_.end() ? Reservation{ReserveOutcome::kUnknownProperty}
                                          : ReserveNow(it->second, b));
  }
  if (Status s = After("redis.reserve-batch"); !s.ok()) return s;
  return out;
}

Result<Released> SimInventory::Release(const std::string& property, const std::string& b) {
  if (Status s = Before("redis.release", b); !s.ok()) return s;
  Released released;
  auto it = properties_.find(property);
  if (it != properties_.end() && it->second.holds.erase(b)) {
    Property& p = it->second;
    released.released = true;
    if (!p.waiting.empty()) {  // kNoUnitIdleWhileWaiting
      released.handed_to = p.waiting.front().first;
      p.waiting.pop_front();
      p.holds.insert(released.handed_to);
    } else {
      ++p.available;
    }
  }
  if (Status s = After("redis.release"); !s.ok()) return s;
  return released;
}

Result<Confirmed> SimInventory::Confirm(const std::string& property, const std::string& b) {
  if (Status s = Before("redis.confirm", b); !s.ok()) return s;
  auto it = properties_.find(property);
  if (it == properties_.end()) return Status::FailedPrecondition("no inventory");
  Property& p = it->second;
  Confirmed confirmed{ConfirmOutcome::kConfirmed, {}};
  if (p.sold.count(b)) {
    confirmed.outcome = ConfirmOutcome::kAlreadySold;
  } else if (!p.holds.erase(b)) {
    return Status::FailedPrecondition("booking " + b + " holds no unit");
  } else {
    p.sold.insert(b);
    if (p.holds.empty() && p.available <= 0) {
      for (const auto& [id, at] : p.waiting) {
        confirmed.turned_away.push_back(id);
        p.turned_away.insert(id);
      }
      p.waiting.clear();
    }
  }
  if (Status s = After("redis.confirm"); !s.ok()) return s;
  return confirmed;
}

Result<WaitlistState> SimInventory::CheckWaitlist(const std::string& property, const std::string& b,
                                                  std::chrono::milliseconds max_wait) {
  if (Status s = Before("redis.check-waitlist", b); !s.ok()) return s;
  WaitlistState state = WaitlistState::kGone;
  auto it = properties_.find(property);
  if (it != properties_.end()) {
    Property& p = it->second;
    auto waiter = std::find_if(p.waiting.begin(), p.waiting.end(),
                               [&](const auto& w) { return w.first == b; });
    if (waiter != p.waiting.end()) {
      if (calls_.scheduler().now_ms() - waiter->second >= max_wait.count()) {
        if (max_wait.count() > 0) p.waited_out.insert(b);
        p.waiting.erase(waiter);
        state = WaitlistState::kLeft;
      } else {
        state = WaitlistState::kWaiting;
      }
    } else if (p.holds.count(b)) {
      state = WaitlistState::kHeld;
    } else if (p.sold.count(b)) {
      state = WaitlistState::kSold;
    }
  }
  if (Status s = After("redis.check-waitlist"); !s.ok()) return s;
  return state;
}

Result<InventoryLevels> SimInventory::Levels(const std::string& property) {
  if (Status s = Before("redis.levels", property); !s.ok()) return s;
  auto it = properties_.find(property);
  if (it == properties_.end()) return Status::NotFound("no inventory for " + property);
  const Property& p = it->second;
  return InventoryLevels{p.available, static_cast<int64_t>(p.holds.size()),
                         static_cast<int64_t>(p.sold.size()),
                         static_cast<int64_t>(p.waiting.size()), p.total};
}

// --- SimLedger ---

namespace {

Status LedgerError(Calls& calls, const char* point) {
  if (!calls.Fault(point, "error", calls.plan().error)) return Status::Ok();
  if (calls.scheduler().Chance(kHardErrorShare)) {
    return Status::Internal(std::string("ferretdb: internal error (") + point + ")");
  }
  return Status::Unavailable(std::string("ferretdb: connection reset (") + point + ")");
}

Status LostReply(Calls& calls, const char* point) {
  if (!calls.Fault(point, "lost-reply", calls.plan().lost_reply)) return Status::Ok();
  calls.scheduler().Delay(kLedgerBoundMs);
  return Status::DeadlineExceeded(std::string("ferretdb: no reply in time (") + point + ")");
}

}  // namespace

Status SimLedger::Insert(const BookingRecord& record) {
  calls_.Enter("ledger.insert", record.request.booking_id, kLedgerBoundMs);
  if (Status s = LedgerError(calls_, "ledger.insert"); !s.ok()) return s;
  if (!documents_.emplace(record.request.booking_id, record).second) {
    return Status::AlreadyExists("booking " + record.request.booking_id + " exists");
  }
  return LostReply(calls_, "ledger.insert");
}

Result<std::optional<BookingRecord>> SimLedger::Get(const std::string& id) {
  calls_.Enter("ledger.get", id, kLedgerBoundMs);
  if (Status s = LedgerError(calls_, "ledger.get"); !s.ok()) return s;
  auto it = documents_.find(id);
  if (it == documents_.end()) return std::optional<BookingRecord>();
  BookingRecord record = it->second;
  if (Status s = CatchUp(record); !s.ok()) return s;
  return std::optional<BookingRecord>(std::move(record));
}

Result<std::map<std::string, BookingRecord>> SimLedger::GetMany(
    const std::vector<std::string>& ids) {
  calls_.Enter("ledger.get-many", "", kLedgerBoundMs);
  if (Status s = LedgerError(calls_, "ledger.get-many"); !s.ok()) return s;
  return ReadMany(ids);
}

Result<std::map<std::string, BookingRecord>> SimLedger::GetRecorded(
    const std::vector<std::string>& ids) {
  calls_.Enter("ledger.get-recorded", "", kLedgerBoundMs);
  if (Status s = LedgerError(calls_, "ledger.get-recorded"); !s.ok()) return s;
  return ReadMany(ids);
}

Result<std::map<std::string, BookingRecord>> SimLedger::ReadMany(
    const std::vector<std::string>& ids) {
  std::map<std::string, BookingRecord> out;
  for (const auto& id : ids) {
    auto it = documents_.find(id);
    if (it == documents_.end()) continue;
    BookingRecord record = it->second;
    if (Status s = CatchUp(record); !s.ok()) return s;
    out.emplace(id, std::move(record));
  }
  return out;
}

Result<std::vector<InsertOutcome>> SimLedger::InsertMany(const std::vector<BookingRecord>& rs) {
  calls_.Enter("ledger.insert-many", "", kLedgerBoundMs);
  // Unordered and not atomic across documents: an error may come after any
  // prefix went in.
  const bool fails = calls_.Fault("ledger.insert-many", "error", calls_.plan().error);
  const size_t upto = fails ? calls_.scheduler().Below(rs.size() + 1) : rs.size();
  std::vector<InsertOutcome> out;
  for (size_t i = 0; i < upto; ++i) {
    const bool fresh = documents_.emplace(rs[i].request.booking_id, rs[i]).second;
    out.push_back(fresh ? InsertOutcome::kInserted : InsertOutcome::kExists);
  }
  if (fails) return Status::Unavailable("ferretdb: bulk insert interrupted");
  if (Status s = LostReply(calls_, "ledger.insert-many"); !s.ok()) return s;
  return out;
}

void SimLedger::WriteDown(const std::string& id, int64_t version, const LedgerChange& change) {
  auto it = documents_.find(id);
  if (it == documents_.end() || it->second.version != version) return;  // filter on version
  ApplyChange(it->second, change);
}

Status SimLedger::CatchUp(BookingRecord& record) {
  const std::string& id = record.request.booking_id;
  while (true) {
    // Each claim read is its own call: another actor may act in between.
    calls_.Enter("ledger.read-claim", id, kLedgerBoundMs);
    if (Status s = LedgerError(calls_, "ledger.read-claim"); !s.ok()) return s;
    auto claim = claims_.find({id, record.version});
    if (claim == claims_.end()) return Status::Ok();
    const int64_t version = record.version;
    ApplyChange(record, claim->second.change);
    if (!calls_.Fault("ledger.catch-up", "lag", calls_.plan().lag)) {
      WriteDown(id, version, claim->second.change);
    }
  }
}

Status SimLedger::Transition(const std::string& id, BookingStatus from, int64_t version,
                             const LedgerChange& change) {
  calls_.Enter("ledger.claim",
               id + " v" + std::to_string(version) + " -> " +
                   std::string(BookingStatusName(change.to)) + "/" +
                   std::string(PaymentStatusName(change.payment_status)),
               kLedgerBoundMs);
  if (Status s = LedgerError(calls_, "ledger.claim"); !s.ok()) return s;
  if (!ClaimAndWriteDown({id, from, version, change})) {
    return Status::FailedPrecondition("booking " + id + " has moved past version " +
                                      std::to_string(version));
  }
  return LostReply(calls_, "ledger.claim");
}

bool SimLedger::ClaimAndWriteDown(const LedgerTransition& t) {
  if (!claims_.emplace(std::make_pair(t.booking_id, t.version), Claim{t.from, t.change}).second) {
    return false;
  }
  // Won: the claim is the commit point; the document follows in a second
  // call, which may fail and leave it behind.
  calls_.Enter("ledger.write-down", t.booking_id, kLedgerBoundMs);
  if (!calls_.Fault("ledger.write-down", "lag", calls_.plan().lag)) {
    WriteDown(t.booking_id, t.version, t.change);
  }
  return true;
}

// As MongoLedger's bulk of claims: not atomic, so an error may come after
// any of them won, and answers every one of them.
std::vector<Status> SimLedger::TransitionMany(const std::vector<LedgerTransition>& transitions) {
  calls_.Enter("ledger.claim-many", std::to_string(transitions.size()) + " claims", kLedgerBoundMs);
  Status error = LedgerError(calls_, "ledger.claim-many");
  const size_t upto =
      error.ok() ? transitions.size() : calls_.scheduler().Below(transitions.size() + 1);
  std::vector<Status> out(transitions.size(), error);
  for (size_t i = 0; i < upto; ++i) {
    const bool won = ClaimAndWriteDown(transitions[i]);
    if (!error.ok()) continue;
    out[i] = won ? Status::Ok()
                 : Status::FailedPrecondition("booking " + transitions[i].booking_id +
                                              " has moved past version " +
                                              std::to_string(transitions[i].version));
  }
  if (!error.ok()) return out;
  if (Status lost = LostReply(calls_, "ledger.claim-many"); !lost.ok()) {
    return std::vector<Status>(transitions.size(), lost);
  }
  return out;
}

Status SimLedger::MarkOutcomesPublished(const std::vector<PublishedOutcome>& published) {
  calls_.Enter("ledger.mark-published-many", std::to_string(published.size()) + " outcomes",
               kLedgerBoundMs);
  Status error = LedgerError(calls_, "ledger.mark-published-many");
  const size_t upto =
      error.ok() ? published.size() : calls_.scheduler().Below(published.size() + 1);
  for (size_t i = 0; i < upto; ++i) Mark(published[i].booking_id, published[i].version);
  if (!error.ok()) return error;
  return LostReply(calls_, "ledger.mark-published-many");
}

Status SimLedger::MarkOutcomePublished(const std::string& id, int64_t version) {
  calls_.Enter("ledger.mark-published", id + " v" + std::to_string(version), kLedgerBoundMs);
  if (Status s = LedgerError(calls_, "ledger.mark-published"); !s.ok()) return s;
  Mark(id, version);
  return LostReply(calls_, "ledger.mark-published");
}

void SimLedger::Mark(const std::string& id, int64_t version) {
  // An update of the document filtered on its version, as MongoLedger's: a
  // document still behind its ending claim is left owing.
  auto it = documents_.find(id);
  if (it != documents_.end() && it->second.version == version && IsTerminal(it->second.status)) {
    it->second.outcome_owed = false;
  }
}

Result<std::vector<BookingRecord>> SimLedger::FindStale(const std::string& updated_before,
                                                        int64_t limit) {
  calls_.Enter("ledger.find-stale", "", kLedgerBoundMs);
  if (Status s = LedgerError(calls_, "ledger.find-stale"); !s.ok()) return s;
  std::vector<BookingRecord> out;
  for (const auto& [id, r] : documents_) {
    if (static_cast<int64_t>(out.size()) >= limit) break;
    if ((!IsTerminal(r.status) || r.outcome_owed) && r.updated_at < updated_before) {
      out.push_back(r);
    }
  }
  return out;
}

Result<std::map<std::string, std::vector<BookingSummary>>> SimLedger::SummarizeProperties(
    const std::vector<std::string>& ps) {
  std::map<std::string, std::vector<BookingSummary>> out;
  for (const auto& p : ps) out[p];
  for (const auto& [id, r] : Truth()) {
    auto it = out.find(r.request.property_id);
    if (it != out.end()) it->second.push_back({id, r.status, r.waitlist_position > 0});
  }
  return out;
}

Result<std::map<BookingStatus, int64_t>> SimLedger::CountByStatus(const std::string& p) {
  std::map<BookingStatus, int64_t> counts;
  for (const auto& [id, r] : Truth()) {
    if (r.request.property_id == p) ++counts[r.status];
  }
  return counts;
}

Result<std::vector<std::string>> SimLedger::IdsWithStatus(const std::string& p, BookingStatus s) {
  std::vector<std::string> ids;
  for (const auto& [id, r] : Truth()) {
    if (r.request.property_id == p && r.status == s) ids.push_back(id);
  }
  return ids;
}

Result<std::map<std::string, BookingStatus>> SimLedger::StatusByBooking(const std::string& p) {
  std::map<std::string, BookingStatus> out;
  for (const auto& [id, r] : Truth()) {
    if (r.request.property_id == p) out[id] = r.status;
  }
  return out;
}

Result<std::vector<std::string>> SimLedger::WaitedAndSoldOut(const std::string& p, int64_t limit) {
  std::vector<std::string> ids;
  for (const auto& [id, r] : Truth()) {
    if (limit > 0 && static_cast<int64_t>(ids.size()) == limit) break;
    if (r.request.property_id == p && r.status == BookingStatus::kSoldOut &&
        r.waitlist_position > 0) {
      ids.push_back(id);
    }
  }
  return ids;
}

std::map<std::string, BookingRecord> SimLedger::Truth() const {
  std::map<std::string, BookingRecord> truth = documents_;
  for (auto& [id, record] : truth) {
    for (auto claim = claims_.find({id, record.version}); claim != claims_.end();
         claim = claims_.find({id, record.version})) {
      ApplyChange(record, claim->second.change);
    }
  }
  return truth;
}

// --- SimBank ---

ChargeResult SimBank::Charge(const std::string& key, const Money&,
                             std::chrono::milliseconds timeout) {
  calls_.Enter("bank.charge", key, timeout.count());
  if (calls_.Fault("bank.charge", "error", calls_.plan().error)) {
    calls_.scheduler().Delay(timeout.count());
    return {ChargeOutcome::kUnknown, "", "no answer from the bank"};
  }
  Account& a = book_[key];
  if (a.state == ChargeState::kNone) {
    if (calls_.Fault("bank.charge", "decline", calls_.plan().decline)) {
      a.state = ChargeState::kDeclined;
    } else {
      a.state = ChargeState::kCaptured;
      ++a.captures;
      a.settled = calls_.Fault("bank.charge", "settle", calls_.plan().settle);
    }
  }
  if (calls_.Fault("bank.charge", "lost-reply", calls_.plan().lost_reply)) {
    calls_.scheduler().Delay(timeout.count());
    return {ChargeOutcome::kUnknown, "", "the bank's answer was lost"};
  }
  switch (a.state) {
    case ChargeState::kCaptured:
      return {ChargeOutcome::kCaptured, "txn-" + key, ""};
    case ChargeState::kVoided:
      return {ChargeOutcome::kDeclined, "", "the key was voided"};
    default:
      return {ChargeOutcome::kDeclined, "", "insufficient funds"};
  }
}

Result<ChargeState> SimBank::Void(const std::string& key, std::chrono::milliseconds timeout) {
  calls_.Enter("bank.void", key, timeout.count());
  if (calls_.Fault("bank.void", "error", calls_.plan().error)) {
    calls_.scheduler().Delay(timeout.count());
    return Status::DeadlineExceeded("no answer from the bank to the void");
  }
  Account& a = book_[key];
  if (a.state == ChargeState::kNone || (a.state == ChargeState::kCaptured && !a.settled)) {
    a.state = ChargeState::kVoided;  // a refund, or a key no charge may use
  }
  if (calls_.Fault("bank.void", "lost-reply", calls_.plan().lost_reply)) {
    calls_.scheduler().Delay(timeout.count());
    return Status::DeadlineExceeded("the bank's answer to the void was lost");
  }
  return a.state;
}

// --- SimProducer ---

Status SimViews::Put(const StatusView& view) {
  calls_.Enter("views.put", view.booking_id, kRedisBoundMs);
  if (calls_.Fault("views.put", "error", calls_.plan().error)) {
    return Status::Unavailable("redis: connection refused");
  }
  auto [it, fresh] = views_.try_emplace(view.booking_id, view);
  if (!fresh && it->second.version < view.version) it->second = view;
  if (calls_.Fault("views.put", "lost-reply", calls_.plan().lost_reply)) {
    return Status::DeadlineExceeded("redis: no reply in time");
  }
  return Status::Ok();
}

Result<std::optional<StatusView>> SimViews::Get(const std::string& booking_id) {
  calls_.Enter("views.get", booking_id, kRedisBoundMs);
  return Find(booking_id);
}

std::optional<StatusView> SimViews::Find(const std::string& booking_id) const {
  auto it = views_.find(booking_id);
  if (it == views_.end()) return std::nullopt;
  return it->second;
}

void SimProducer::PublishAsync(OutgoingEvent event, PublishCallback done) {
  done(Publish(event, std::chrono::milliseconds(kLedgerBoundMs)));
}

Status SimProducer::Publish(const OutgoingEvent& event, std::chrono::milliseconds timeout) {
  calls_.Enter("kafka.publish", event.key, timeout.count());
  if (calls_.Fault("kafka.publish", "missing-topic", calls_.plan().missing_topic)) {
    return Status::NotFound("Local: Unknown topic");
  }
  if (calls_.Fault("kafka.publish", "error", calls_.plan().error)) {
    return Status::Unavailable("Local: Message timed out (not persisted)");
  }
  written_.push_back(event);
  views_at_write_.push_back(views_.Find(event.key));
  if (calls_.Fault("kafka.publish", "lost-reply", calls_.plan().lost_reply)) {
    calls_.scheduler().Delay(timeout.count());
    return Status::DeadlineExceeded("no verdict in time; the event may be written");
  }
  return Status::Ok();
}

}  // namespace wanderluxe::sim
