// In-memory fakes of the saga's ports, with failure injection. Unit tests only.
#ifndef WANDERLUXE_TESTS_FAKES_FAKE_PORTS_H_
#define WANDERLUXE_TESTS_FAKES_FAKE_PORTS_H_

#include <algorithm>
#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "wanderluxe/ports/bank.h"
#include "wanderluxe/ports/event_producer.h"
#include "wanderluxe/ports/idempotency_store.h"
#include "wanderluxe/ports/inventory_store.h"
#include "wanderluxe/ports/ledger.h"
#include "wanderluxe/ports/ledger_audit.h"
#include "wanderluxe/ports/status_views.h"

namespace wanderluxe::fakes {

// Fails the next `n` calls of an operation, with a transient error unless told.
class Faults {
 public:
  void FailNext(const std::string& op, int n) { FailNextWith(op, n, StatusCode::kUnavailable); }
  void FailNextWith(const std::string& op, int n, StatusCode code) {
    std::lock_guard lock(mu_);
    pending_[op] += n;
    code_[op] = code;
  }
  // Runs `actor` once, on the caller's thread, when the first of `ops` is
  // next called and before it takes effect: another actor's steps at exactly
  // that point ("before the next step after this one", whichever it is).
  void BeforeNext(std::set<std::string> ops, std::function<void()> actor) {
    std::lock_guard lock(mu_);
    before_ops_ = std::move(ops);
    before_ = std::move(actor);
  }
  Status Check(const std::string& op) {
    std::function<void()> actor;
    {
      std::lock_guard lock(mu_);
      if (before_ && before_ops_.count(op)) actor = std::exchange(before_, nullptr);
    }
    if (actor) actor();
    std::lock_guard lock(mu_);
    log_.push_back(op);
    if (pending_[op] > 0) {
      --pending_[op];
      return Status(code_.count(op) ? code_[op] : StatusCode::kUnavailable,
                    "injected failure of " + op);
    }
    return Status::Ok();
  }
  // Adds a line to the log that is not a call (a decision a fake recorded).
  void Note(const std::string& what) {
    std::lock_guard lock(mu_);
    log_.push_back(what);
  }
  // Every call in order, failed or not.
  std::vector<std::string> log() const {
    std::lock_guard lock(mu_);
    return log_;
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, int> pending_;
  std::map<std::string, StatusCode> code_;
  std::set<std::string> before_ops_;
  std::function<void()> before_;
  std::vector<std::string> log_;
};

// The Redis scripts' rules, one mutex standing for one script's atomicity.
// Arrival on the waitlist is a counter, not a clock: CheckWaitlist's max_wait
// is honoured only as "0 leaves at once, anything else keeps waiting" unless
// a test ages the waiters (Age).
class FakeInventory : public InventoryStore {
 public:
  explicit FakeInventory(Faults& faults, WaitlistPolicy waitlist = {})
      : faults_(faults), waitlist_(waitlist) {}
  void Set(const std::string& property, int64_t available) {
    std::lock_guard lock(mu_);
    available_[property] = available;
    total_[property] =
        available + static_cast<int64_t>(holds_[property].size() + sold_[property].size());
  }
  void SetWaitlist(WaitlistPolicy waitlist) {
    std::lock_guard lock(mu_);
    waitlist_ = waitlist;
  }
  // Every waiter of `p` has now waited as long as anyone may.
  void Age(const std::string& p) {
    std::lock_guard lock(mu_);
    aged_[p] = true;
  }

  Result<Reservation> Reserve(const std::string& p, const std::string& b) override {
    if (Status s = faults_.Check("reserve"); !s.ok()) return s;
    std::lock_guard lock(mu_);
    return ReserveLocked(p, b);
  }
  // Atomic, as the one Lua script is: nothing interleaves within a batch.
  Result<std::vector<Reservation>> ReserveBatch(const std::string& p,
                                                const std::vector<std::string>& ids) override {
    if (Status s = faults_.Check("reserve-batch"); !s.ok()) return s;
    std::lock_guard lock(mu_);
    std::vector<Reservation> out;
    for (const auto& b : ids) out.push_back(ReserveLocked(p, b));
    return out;
  }
  Result<Released> Release(const std::string& p, const std::string& b) override {
    if (Status s = faults_.Check("release"); !s.ok()) return s;
    std::lock_guard lock(mu_);
    if (!holds_[p].erase(b)) return Released{};
    auto& waiting = waiting_[p];
    if (!waiting.empty()) {
      const std::string head = waiting.front();
      waiting.pop_front();
      holds_[p].insert(head);
      return Released{true, head};
    }
    ++available_[p];
    return Released{true, ""};
  }
  Result<Confirmed> Confirm(const std::string& p, const std::string& b) override {
    if (Status s = faults_.Check("confirm"); !s.ok()) return s;
    std::lock_guard lock(mu_);
    if (sold_[p].count(b)) return Confirmed{ConfirmOutcome::kAlreadySold, {}};
    if (!holds_[p].erase(b)) return Status::FailedPrecondition("no hold");
    sold_[p].insert(b);
    Confirmed confirmed{ConfirmOutcome::kConfirmed, {}};
    if (holds_[p].empty() && available_[p] <= 0) {
      confirmed.turned_away.assign(waiting_[p].begin(), waiting_[p].end());
      waiting_[p].clear();
    }
    return confirmed;
  }
  Result<WaitlistState> CheckWaitlist(const std::string& p, const std::string& b,
                                      std::chrono::milliseconds max_wait) override {
    if (Status s = faults_.Check("check-waitlist"); !s.ok()) return s;
    std::lock_guard lock(mu_);
    auto& waiting = waiting_[p];
    for (auto it = waiting.begin(); it != waiting.end(); ++it) {
      if (*it != b) continue;
      if (max_wait.count() > 0 && !aged_[p]) return WaitlistState::kWaiting;
      waiting.erase(it);
      return WaitlistState::kLeft;
    }
    if (holds_[p].count(b)) return WaitlistState::kHeld;
    if (sold_[p].count(b)) return WaitlistState::kSold;
    return WaitlistState::kGone;
  }
  Result<InventoryLevels> Levels(const std::string& p) override {
    std::lock_guard lock(mu_);
    return InventoryLevels{available_[p], static_cast<int64_t>(holds_[p].size()),
                           static_cast<int64_t>(sold_[p].size()),
                           static_cast<int64_t>(waiting_[p].size()), std::nullopt};
  }
  bool Holds(const std::string& p, const std::string& b) {
    std::lock_guard lock(mu_);
    return holds_[p].count(b) > 0;
  }
  std::vector<std::string> Waiters(const std::string& p) {
    std::lock_guard lock(mu_);
    return {waiting_[p].begin(), waiting_[p].end()};
  }

 private:
  Reservation ReserveLocked(const std::string& p, const std::string& b) {
    if (holds_[p].count(b)) return {ReserveOutcome::kAlreadyHeld};
    if (sold_[p].count(b)) return {ReserveOutcome::kAlreadySold};
    auto& waiting = waiting_[p];
    for (size_t i = 0; i < waiting.size(); ++i) {
      if (waiting[i] == b) return {ReserveOutcome::kWaitlisted, static_cast<int64_t>(i + 1)};
    }
    if (!available_.count(p)) return {ReserveOutcome::kUnknownProperty};
    if (available_[p] <= 0) {
      const int64_t room = std::min(waitlist_.max, waitlist_.per_unit * total_[p]);
      if (!holds_[p].empty() && static_cast<int64_t>(waiting.size()) < room) {
        waiting.push_back(b);
        return {ReserveOutcome::kWaitlisted, static_cast<int64_t>(waiting.size())};
      }
      return {ReserveOutcome::kSoldOut};
    }
    --available_[p];
    holds_[p].insert(b);
    return {ReserveOutcome::kReserved};
  }

  Faults& faults_;
  std::mutex mu_;
  WaitlistPolicy waitlist_;
  std::map<std::string, int64_t> available_, total_;
  std::map<std::string, std::set<std::string>> holds_, sold_;
  std::map<std::string, std::deque<std::string>> waiting_;
  std::map<std::string, bool> aged_;
};

class FakeLedger : public Ledger, public LedgerAudit {
 public:
  explicit FakeLedger(Faults& faults) : faults_(faults) {}

  Status Insert(const BookingRecord& r) override {
    if (Status s = faults_.Check("insert"); !s.ok()) return s;
    std::lock_guard lock(mu_);
    if (!records_.emplace(r.request.booking_id, r).second) return Status::AlreadyExists("dup");
    return Status::Ok();
  }
  Result<std::optional<BookingRecord>> Get(const std::string& id) override {
    if (Status s = faults_.Check("get"); !s.ok()) return s;
    std::lock_guard lock(mu_);
    if (auto lagging = documents_.find(id); lagging != documents_.end()) {
      return std::optional<BookingRecord>(lagging->second);
    }
    auto it = records_.find(id);
    if (it == records_.end()) return std::optional<BookingRecord>();
    return std::optional<BookingRecord>(it->second);
  }
  Result<std::map<std::string, BookingRecord>> GetMany(
      const std::vector<std::string>& ids) override {
    if (Status s = faults_.Check("get-many"); !s.ok()) return s;
    std::lock_guard lock(mu_);
    std::map<std::string, BookingRecord> out;
    for (const auto& id : ids) {
      auto it = records_.find(id);
      if (it != records_.end()) out.emplace(id, it->second);
    }
    return out;
  }
  // As Get per id: a lagging document is answered as it is.
  Result<std::map<std::string, BookingRecord>> GetRecorded(
      const std::vector<std::string>& ids) override {
    if (Status s = faults_.Check("get-recorded"); !s.ok()) return s;
    std::lock_guard lock(mu_);
    std::map<std::string, BookingRecord> out;
    for (const auto& id : ids) {
      if (auto lagging = documents_.find(id); lagging != documents_.end()) {
        out.emplace(id, lagging->second);
      } else if (auto it = records_.find(id); it != records_.end()) {
        out.emplace(id, it->second);
      }
    }
    return out;
  }
  // No stronger than a bulk on FerretDB, which is not atomic across
  // documents: an injected failure comes after the first half went in.
  Result<std::vector<InsertOutcome>> InsertMany(const std::vector<BookingRecord>& rs) override {
    Status fault = faults_.Check("insert-many");
    std::lock_guard lock(mu_);
    const size_t upto = fault.ok() ? rs.size() : rs.size() / 2;
    std::vector<InsertOutcome> out;
    for (size_t i = 0; i < upto; ++i) {
      const bool fresh = records_.emplace(rs[i].request.booking_id, rs[i]).second;
      out.push_back(fresh ? InsertOutcome::kInserted : InsertOutcome::kExists);
    }
    if (!fault.ok()) return fault;
    return out;
  }
  Status Transition(const std::string& id, BookingStatus from, int64_t version,
                    const LedgerChange& c) override {
    if (Status s = faults_.Check("transition"); !s.ok()) return s;
    return TransitionOnce(id, from, version, c);
  }
  Status TransitionOnce(const std::string& id, BookingStatus from, int64_t version,
                        const LedgerChange& c) {
    std::lock_guard lock(mu_);
    BookingRecord& r = records_.at(id);
    // Atomic, as the claim-based Mongo ledger is on both servers (one winner
    // per version, proved against the live FerretDB in integration.ledger).
    if (r.status != from || r.version != version) {
      documents_.erase(id);  // the loser rolls the document forward (lag_write_downs)
      return Status::FailedPrecondition("moved");
    }
    if (lag_write_downs) documents_.emplace(id, r);  // the document stays where it was
    ApplyChange(r, c);
    if (c.entry) faults_.Note("transition:" + c.entry->action);
    return Status::Ok();
  }
  // No stronger than MongoLedger's bulk of claims: an injected failure comes
  // after the first half won, and answers every transition with the error.
  std::vector<Status> TransitionMany(const std::vector<LedgerTransition>& ts) override {
    Status fault = faults_.Check("transition-many");
    const size_t upto = fault.ok() ? ts.size() : ts.size() / 2;
    std::vector<Status> out(ts.size(), fault);
    for (size_t i = 0; i < upto; ++i) {
      Status s = TransitionOnce(ts[i].booking_id, ts[i].from, ts[i].version, ts[i].change);
      if (fault.ok()) out[i] = s;
    }
    return out;
  }
  Status MarkOutcomesPublished(const std::vector<PublishedOutcome>& published) override {
    Status fault = faults_.Check("mark-outcomes-published");
    const size_t upto = fault.ok() ? published.size() : published.size() / 2;
    for (size_t i = 0; i < upto; ++i) Mark(published[i].booking_id, published[i].version);
    return fault;
  }
  Status MarkOutcomePublished(const std::string& id, int64_t version) override {
    if (Status s = faults_.Check("mark-outcome-published"); !s.ok()) return s;
    Mark(id, version);
    return Status::Ok();
  }
  void Mark(const std::string& id, int64_t version) {
    std::lock_guard lock(mu_);
    BookingRecord& r = records_.at(id);
    if (r.version == version && IsTerminal(r.status)) r.outcome_owed = false;
  }
  // Weaker than MongoLedger, which reads the claims past a lagging document
  // (kReadsClaims): a won claim's write-down fails and Get answers the
  // document as it was before, until a transition that loses the
  // compare-and-set rolls it forward. What the saga's kNeverBackwards must
  // survive should a ledger break kReadsClaims.
  bool lag_write_downs = false;
  Result<std::vector<BookingRecord>> FindStale(const std::string& before, int64_t) override {
    std::lock_guard lock(mu_);
    std::vector<BookingRecord> out;
    for (const auto& [id, r] : records_) {
      if ((!IsTerminal(r.status) || r.outcome_owed) && r.updated_at < before) out.push_back(r);
    }
    return out;
  }
  Result<std::map<std::string, std::vector<BookingSummary>>> SummarizeProperties(
      const std::vector<std::string>& ps) override {
    std::lock_guard lock(mu_);
    std::map<std::string, std::vector<BookingSummary>> out;
    for (const auto& p : ps) out[p];
    for (const auto& [id, r] : records_) {
      auto it = out.find(r.request.property_id);
      if (it != out.end()) it->second.push_back({id, r.status, r.waitlist_position > 0});
    }
    return out;
  }
  Result<std::map<BookingStatus, int64_t>> CountByStatus(const std::string& p) override {
    std::lock_guard lock(mu_);
    std::map<BookingStatus, int64_t> counts;
    for (const auto& [id, r] : records_) {
      if (r.request.property_id == p) ++counts[r.status];
    }
    return counts;
  }
  Result<std::vector<std::string>> IdsWithStatus(const std::string& p, BookingStatus s) override {
    std::lock_guard lock(mu_);
    std::vector<std::string> ids;
    for (const auto& [id, r] : records_) {
      if (r.request.property_id == p && r.status == s) ids.push_back(id);
    }
    return ids;
  }
  Result<std::map<std::string, BookingStatus>> StatusByBooking(const std::string& p) override {
    std::lock_guard lock(mu_);
    std::map<std::string, BookingStatus> out;
    for (const auto& [id, r] : records_) {
      if (r.request.property_id == p) out[id] = r.status;
    }
    return out;
  }
  Result<std::vector<std::string>> WaitedAndSoldOut(const std::string& p, int64_t limit) override {
    std::lock_guard lock(mu_);
    std::vector<std::string> ids;  // records_ is ordered by id, as the Mongo answer is
    for (const auto& [id, r] : records_) {
      if (limit > 0 && static_cast<int64_t>(ids.size()) == limit) break;
      if (r.request.property_id == p && r.status == BookingStatus::kSoldOut &&
          r.waitlist_position > 0) {
        ids.push_back(id);
      }
    }
    return ids;
  }
  BookingRecord& at(const std::string& id) { return records_.at(id); }

 private:
  Faults& faults_;
  std::mutex mu_;
  std::map<std::string, BookingRecord> records_;
  std::map<std::string, BookingRecord> documents_;  // lagging behind records_
};

// Answers charges from a script (then `fallback`), keeping an idempotent book.
class FakeBank : public Bank {
 public:
  explicit FakeBank(Faults& faults) : faults_(faults) {}

  ChargeResult Charge(const std::string& key, const Money& amount,
                      std::chrono::milliseconds timeout) override {
    ChargeResult result = Answer(key, amount, timeout);
    if (lose_replies) return {ChargeOutcome::kUnknown, "", "reply lost"};
    return result;
  }
  ChargeResult Answer(const std::string& key, const Money&, std::chrono::milliseconds) {
    (void)faults_.Check("charge");  // logged for ordering checks; charges fail by script
    std::lock_guard lock(mu_);
    ++charge_calls;
    ChargeOutcome outcome = script.empty() ? fallback : script.front();
    if (!script.empty()) script.pop_front();
    if (book[key] == ChargeState::kVoided) return {ChargeOutcome::kDeclined, "", "voided"};
    if (book[key] == ChargeState::kCaptured) return {ChargeOutcome::kCaptured, "txn-" + key, ""};
    if (book[key] == ChargeState::kDeclined) return {ChargeOutcome::kDeclined, "", ""};
    if (outcome == ChargeOutcome::kCaptured) book[key] = ChargeState::kCaptured;
    if (outcome == ChargeOutcome::kDeclined) book[key] = ChargeState::kDeclined;
    if (outcome == ChargeOutcome::kCaptured) return {outcome, "txn-" + key, ""};
    return {outcome, "", outcome == ChargeOutcome::kUnknown ? "timeout" : "declined"};
  }
  Result<ChargeState> Void(const std::string& key, std::chrono::milliseconds) override {
    if (Status s = faults_.Check("void"); !s.ok()) return s;
    std::lock_guard lock(mu_);
    if (settles && book[key] == ChargeState::kCaptured) return ChargeState::kCaptured;
    if (book[key] != ChargeState::kDeclined) book[key] = ChargeState::kVoided;
    return book[key];
  }
  int Captured() {
    std::lock_guard lock(mu_);
    int n = 0;
    for (const auto& [k, s] : book) n += s == ChargeState::kCaptured;
    return n;
  }

  std::mutex mu_;
  std::deque<ChargeOutcome> script;
  ChargeOutcome fallback = ChargeOutcome::kCaptured;
  // Every charge takes effect and its answer is lost on the way back (the
  // caller sees kUnknown), as a timeout after the bank acted.
  bool lose_replies = false;
  // A captured charge has settled: a void of it is refused, answering
  // CAPTURED, as an acquirer refuses to void a settled payment.
  bool settles = false;
  std::map<std::string, ChargeState> book;
  int charge_calls = 0;

 private:
  Faults& faults_;
};

// Acknowledges at once, on the calling thread: as the port allows for a refusal,
// and no stronger than Kafka, whose report may come at any time after.
class FakeProducer : public EventProducer {
 public:
  explicit FakeProducer(Faults& faults) : faults_(faults) {}
  void PublishAsync(OutgoingEvent e, PublishCallback done) override {
    done(Publish(e, std::chrono::milliseconds(0)));
  }
  Status Publish(const OutgoingEvent& e, std::chrono::milliseconds timeout) override {
    if (Status s = faults_.Check("publish"); !s.ok()) return s;
    std::lock_guard lock(mu_);
    published.push_back(e);
    last_timeout = timeout;
    return Status::Ok();
  }
  Status Flush(std::chrono::milliseconds) override { return Status::Ok(); }
  Status Ping(std::chrono::milliseconds) override { return faults_.Check("ping"); }
  std::vector<OutgoingEvent> Published() {
    std::lock_guard lock(mu_);
    return published;
  }
  // How long the last Publish was told to wait for its acknowledgement.
  std::chrono::milliseconds LastTimeout() {
    std::lock_guard lock(mu_);
    return last_timeout;
  }

 private:
  Faults& faults_;
  std::mutex mu_;
  std::vector<OutgoingEvent> published;
  std::chrono::milliseconds last_timeout{0};
};

// StatusViews in memory: one mutex standing for the put script's atomicity,
// monotonic by version as the script is. Fails through Faults as "view".
class FakeStatusViews : public StatusViews {
 public:
  explicit FakeStatusViews(Faults& faults) : faults_(faults) {}
  Status Put(const StatusView& view) override {
    if (Status s = faults_.Check("view"); !s.ok()) return s;
    std::lock_guard lock(mu_);
    auto [it, fresh] = views_.try_emplace(view.booking_id, view);
    if (!fresh && it->second.version < view.version) it->second = view;
    return Status::Ok();
  }
  Result<std::optional<StatusView>> Get(const std::string& booking_id) override {
    if (Status s = faults_.Check("view get"); !s.ok()) return s;
    std::lock_guard lock(mu_);
    auto it = views_.find(booking_id);
    if (it == views_.end()) return std::optional<StatusView>();
    return std::optional<StatusView>(it->second);
  }

 private:
  Faults& faults_;
  std::mutex mu_;
  std::map<std::string, StatusView> views_;
};

// IdempotencyStore in memory, no stronger than Redis: records expire after
// their TTL, a completion records the accepted booking even when the claim is
// no longer ours (the event is durable), and only the first acceptance of a
// bookingId is kept (SET NX). Each call is atomic, as each script is in Redis;
// the asynchronous calls answer on the calling thread, before they return.
class FakeIdempotencyStore : public IdempotencyStore {
 public:
  using Clock = std::chrono::steady_clock;
  struct Record {
    IdempotencyClaim::State state = IdempotencyClaim::State::kInFlight;
    std::string fingerprint, token, response;
    Clock::time_point expires = Clock::time_point::max();
  };
  // The key's attempt mark, as RedisIdempotencyStore keeps it.
  struct Mark {
    std::string value;
    Clock::time_point expires;
  };
  static constexpr std::string_view kMarkedUnknown = "1";

  explicit FakeIdempotencyStore(Faults& faults) : faults_(faults) {}

  Result<IdempotencyClaim> Claim(const std::string& key, const std::string& fingerprint,
                                 const std::string& token, std::chrono::milliseconds in_flight_ttl,
                                 std::chrono::milliseconds done_ttl) {
    if (Status s = faults_.Check("idem-claim"); !s.ok()) return s;
    std::lock_guard lock(mu_);
    const Record* existing = Live(key);
    if (existing != nullptr) {
      return IdempotencyClaim{existing->state, existing->fingerprint, existing->response};
    }
    records_[key] = {IdempotencyClaim::State::kInFlight, fingerprint, token, "",
                     Clock::now() + in_flight_ttl};
    // The claim and its mark are two commands in Redis: a fault may come between.
    if (Status s = faults_.Check("idem-claim-mark"); !s.ok()) return s;
    const Mark* earlier = LiveMark(key);
    marks_[key] = {earlier == nullptr ? token : std::string(kMarkedUnknown),
                   Clock::now() + done_ttl};
    return IdempotencyClaim{};
  }
  void ClaimAsync(const std::string& key, const std::string& fingerprint, const std::string& token,
                  std::chrono::milliseconds in_flight_ttl, std::chrono::milliseconds done_ttl,
                  ClaimCallback done) override {
    done(Claim(key, fingerprint, token, in_flight_ttl, done_ttl));
  }
  void CompleteAsync(const std::string& key, const std::string& token, const std::string& response,
                     const AcceptedBooking& accepted, std::chrono::milliseconds done_ttl,
                     StoreCallback done) override {
    done(Complete(key, token, response, accepted, done_ttl));
  }
  void DropClaimAsync(const std::string& key, const std::string& token,
                      DropClaimCallback done) override {
    done(DropClaim(key, token));
  }
  void MarkUnknownAsync(const std::string& key, std::chrono::milliseconds ttl,
                        StoreCallback done) override {
    done(MarkUnknown(key, ttl));
  }
  Status MarkUnknown(const std::string& key, std::chrono::milliseconds ttl) {
    if (Status s = faults_.Check("idem-mark-unknown"); !s.ok()) return s;
    std::lock_guard lock(mu_);
    marks_[key] = {std::string(kMarkedUnknown), Clock::now() + ttl};
    return Status::Ok();
  }
  Status Complete(const std::string& key, const std::string& token, const std::string& response,
                  const AcceptedBooking& accepted, std::chrono::milliseconds done_ttl) {
    if (Status s = faults_.Check("idem-complete"); !s.ok()) return s;
    std::lock_guard lock(mu_);
    auto a = accepted_.find(accepted.request.booking_id);
    if (a == accepted_.end() || a->second.second <= Clock::now()) {
      accepted_[accepted.request.booking_id] = {accepted, Clock::now() + done_ttl};
    }
    Record* r = Live(key);
    if (r == nullptr || r->token != token) return Status::FailedPrecondition("not ours");
    r->state = IdempotencyClaim::State::kDone;
    r->response = response;
    r->expires = Clock::now() + done_ttl;
    if (const Mark* mark = LiveMark(key); mark != nullptr && mark->value == token)
      marks_.erase(key);
    return Status::Ok();
  }
  Result<bool> DropClaim(const std::string& key, const std::string& token) {
    if (Status s = faults_.Check("idem-drop-claim"); !s.ok()) return s;
    std::lock_guard lock(mu_);
    const Record* r = Live(key);
    if (r != nullptr && r->token == token && r->state == IdempotencyClaim::State::kInFlight) {
      records_.erase(key);
    }
    const Mark* mark = LiveMark(key);
    if (mark == nullptr) return false;
    if (mark->value != token) return true;
    marks_.erase(key);  // the only attempt, certainly not written
    return false;
  }
  Result<std::optional<AcceptedBooking>> FindAccepted(const std::string& booking_id) override {
    if (Status s = faults_.Check("idem-find-accepted"); !s.ok()) return s;
    std::lock_guard lock(mu_);
    auto a = accepted_.find(booking_id);
    if (a == accepted_.end() || a->second.second <= Clock::now()) {
      return std::optional<AcceptedBooking>();
    }
    return std::optional<AcceptedBooking>(a->second.first);
  }

  // Test setup and inspection.
  void Put(const std::string& key, Record record) {
    std::lock_guard lock(mu_);
    records_[key] = std::move(record);
  }
  size_t LiveRecords() {
    std::lock_guard lock(mu_);
    size_t n = 0;
    for (const auto& [key, r] : records_) n += r.expires > Clock::now() ? 1 : 0;
    return n;
  }

 private:
  Record* Live(const std::string& key) {
    auto it = records_.find(key);
    if (it == records_.end()) return nullptr;
    if (it->second.expires <= Clock::now()) {
      records_.erase(it);
      return nullptr;
    }
    return &it->second;
  }
  const Mark* LiveMark(const std::string& key) {
    auto it = marks_.find(key);
    if (it == marks_.end()) return nullptr;
    if (it->second.expires <= Clock::now()) {
      marks_.erase(it);
      return nullptr;
    }
    return &it->second;
  }

  Faults& faults_;
  std::mutex mu_;
  std::map<std::string, Record> records_;
  std::map<std::string, std::pair<AcceptedBooking, Clock::time_point>> accepted_;
  // key -> its mark: the only attempt's token, or kMarkedUnknown.
  std::map<std::string, Mark> marks_;
};

}  // namespace wanderluxe::fakes

#endif  // WANDERLUXE_TESTS_FAKES_FAKE_PORTS_H_
