#include "roles/common/invariants.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "adapters/file/file_archive.h"
#include "adapters/http/http_client.h"
#include "adapters/kafka/kafka_admin.h"
#include "adapters/kafka/kafka_consumer.h"
#include "wanderluxe/booking_event.h"
#include "wanderluxe/check.h"
#include "wanderluxe/ids.h"

namespace wanderluxe {
namespace {

using nlohmann::json;
constexpr size_t kMaxListed = 20;  // violations named per invariant; the rest counted
// I7 names a few of a property's refused waiters: one is a violation already.
constexpr int64_t kRefusedNamed = 5;
// AwaitAudit reads the archive again this often while the audit catches up.
constexpr std::chrono::seconds kAuditPollInterval{1};

void Note(InvariantResult& r, std::string detail) { r.details.push_back(std::move(detail)); }

std::string Join(const std::vector<std::string>& ids) {
  std::string out;
  for (size_t i = 0; i < ids.size() && i < kMaxListed; ++i) out += (i ? ", " : "") + ids[i];
  if (ids.size() > kMaxListed) out += " (+" + std::to_string(ids.size() - kMaxListed) + " more)";
  return out;
}

}  // namespace

std::string_view VerdictName(InvariantResult::Verdict v) {
  switch (v) {
    case InvariantResult::Verdict::kPass:
      return "PASS";
    case InvariantResult::Verdict::kFail:
      return "FAIL";
    case InvariantResult::Verdict::kSkip:
      return "SKIP";
  }
  return "?";
}

bool PrintInvariants(const std::vector<InvariantResult>& results) {
  bool ok = true;
  for (const auto& r : results) {
    std::printf("%s %-4s %s\n", r.id.c_str(), std::string(VerdictName(r.verdict)).c_str(),
                r.name.c_str());
    for (const auto& d : r.details) std::printf("         %s\n", d.c_str());
    ok = ok && r.verdict != InvariantResult::Verdict::kFail;
  }
  return ok;
}

InvariantChecker::InvariantChecker(const Config& config, RedisCommands& redis, MongoStore& mongo,
                                   InventoryStore& inventory, InventoryAudit& listings,
                                   Ledger& ledger, LedgerAudit& scans)
    : config_(config),
      redis_(redis),
      inventory_(inventory),
      listings_(listings),
      mongo_(mongo),
      ledger_(ledger),
      scans_(scans) {}

const std::vector<BookingSummary>* InvariantChecker::BookingsOf(const std::string& property_id,
                                                                InvariantResult& r) const {
  if (!summaries_status_.ok()) {
    r.Fail(property_id + ": cannot read the ledger (" + summaries_status_.ToString() + ")");
    return nullptr;
  }
  auto it = summaries_.find(property_id);
  WL_CHECK(it != summaries_.end(), "every property in scope was summarized");
  return &it->second;
}

std::vector<std::string> InvariantChecker::IdsWith(const std::vector<BookingSummary>& bookings,
                                                   BookingStatus status) {
  std::vector<std::string> ids;
  for (const BookingSummary& b : bookings) {
    if (b.status == status) ids.push_back(b.booking_id);
  }
  return ids;
}

Result<std::vector<std::string>> InvariantChecker::DiscoverProperties() {
  // Every master's keys on a cluster (RedisCommands::ScanKeys).
  auto keys = redis_.ScanKeys("inventory:*");
  if (!keys.ok()) return keys.status();
  std::vector<std::string> properties;
  for (const std::string& key : *keys) {
    std::string id = key.substr(std::string("inventory:").size());
    if (id.size() > 2 && id.front() == '{' && id.back() == '}') id = id.substr(1, id.size() - 2);
    properties.push_back(id);
  }
  std::sort(properties.begin(), properties.end());
  return properties;
}

Result<std::vector<InvariantChecker::TopicEvent>> InvariantChecker::ReadRequestsTopic(
    const std::vector<std::string>& properties) {
  const std::string topic = config_.kafka.requests_topic;
  auto total = CountMessages(config_.kafka, topic, std::chrono::seconds(10));
  if (!total.ok()) return total.status();
  // A throwaway group that never commits: it reads the whole topic once.
  auto consumer = KafkaConsumer::Create(config_.kafka, "verify-" + NewUuid());
  if (!consumer.ok()) return consumer.status();
  if (Status s = (*consumer)->Subscribe({topic}); !s.ok()) return s;
  const std::set<std::string> wanted(properties.begin(), properties.end());
  std::vector<TopicEvent> events;
  int64_t read = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (read < *total && std::chrono::steady_clock::now() < deadline) {
    auto polled = (*consumer)->Poll(std::chrono::milliseconds(200));
    if (!polled.ok() || !polled->has_value()) continue;
    ++read;
    // Only the properties in scope: events of others (a test's, on a shared
    // topic) have their ledgers elsewhere.
    if (!wanted.count((*polled)->key)) continue;
    auto event = DecodeBookingEvent((*polled)->value);
    if (!event.ok()) continue;  // poison is the DLQ's business, not an acceptance
    events.push_back({event->request.booking_id, event->event_id, event->request.property_id});
  }
  (*consumer)->Close();
  if (read < *total) {
    return Status::DeadlineExceeded("read " + std::to_string(read) + " of " +
                                    std::to_string(*total) + " events of " + topic);
  }
  return events;
}

InvariantResult InvariantChecker::CheckOversell(const std::vector<std::string>& properties) {
  InvariantResult r{"I1", "no oversell: CONFIRMED == |sold| <= seeded"};
  for (const auto& p : properties) {
    auto levels = inventory_.Levels(p);
    const std::vector<BookingSummary>* bookings = BookingsOf(p, r);
    if (bookings == nullptr) continue;
    if (!levels.ok()) {
      r.Fail(p + ": cannot read (" + levels.status().ToString() + ")");
      continue;
    }
    const std::vector<std::string> confirmed_ids = IdsWith(*bookings, BookingStatus::kConfirmed);
    const int64_t confirmed = static_cast<int64_t>(confirmed_ids.size());
    // Without a recorded total there is nothing to hold `sold` against: I2
    // fails such a property rather than guessing one.
    if (confirmed != levels->sold || (levels->total && levels->sold > *levels->total)) {
      r.Fail(p + ": CONFIRMED " + std::to_string(confirmed) + ", sold " +
             std::to_string(levels->sold) + ", seeded " +
             (levels->total ? std::to_string(*levels->total) : std::string("unknown")));
    }
    auto sold = listings_.Holders(p, /*sold=*/true);
    if (sold.ok()) {
      std::vector<std::string> a = *sold, b = confirmed_ids, only_sold, only_confirmed;
      std::sort(a.begin(), a.end());
      std::sort(b.begin(), b.end());
      std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(only_sold));
      std::set_difference(b.begin(), b.end(), a.begin(), a.end(),
                          std::back_inserter(only_confirmed));
      if (!only_sold.empty()) r.Fail(p + ": sold but not CONFIRMED: " + Join(only_sold));
      if (!only_confirmed.empty()) r.Fail(p + ": CONFIRMED but not sold: " + Join(only_confirmed));
    }
  }
  return r;
}

InvariantResult InvariantChecker::CheckConservation(const std::vector<std::string>& properties) {
  InvariantResult r{"I2", "conservation: available + held + sold == seeded; no leaked hold"};
  for (const auto& p : properties) {
    auto levels = inventory_.Levels(p);
    if (!levels.ok()) {
      r.Fail(p + ": " + levels.status().ToString());
      continue;
    }
    const int64_t sum = levels->available + levels->held + levels->sold;
    if (!levels->total) {
      r.Fail(p +
             ": no total recorded (set by hand and never booked); record it with "
             "`wanderluxe seed " +
             p + " <units>`");
    } else if (sum != *levels->total) {
      r.Fail(p + ": available " + std::to_string(levels->available) + " + held " +
             std::to_string(levels->held) + " + sold " + std::to_string(levels->sold) +
             " != seeded " + std::to_string(*levels->total));
    }
    auto holders = listings_.Holders(p, /*sold=*/false);
    if (!holders.ok()) continue;
    // Only the hold of a finished booking is a fix target: a saga or a
    // batch acts on every other one (kOneDriver), and a failed read knows
    // nothing.
    std::vector<std::string> leaked, moving, unrecorded, unread;
    for (const auto& id : *holders) {
      auto record = ledger_.Get(id);
      if (!record.ok()) {
        unread.push_back(id + " (" + record.status().ToString() + ")");
      } else if (!record->has_value()) {
        unrecorded.push_back(id);
      } else if (!IsTerminal((*record)->status)) {
        moving.push_back(id);
      } else {
        leaked.push_back(id);
        leaked_holds.push_back({p, id, (*record)->status});
      }
    }
    if (!leaked.empty()) r.Fail(p + ": holds of finished bookings: " + Join(leaked));
    if (!unread.empty()) r.Fail(p + ": holds whose booking could not be read: " + Join(unread));
    // A batch reserves before it inserts; a crash between the two is settled
    // by the event's redelivery. After quiescence it is a leak all the same.
    if (!unrecorded.empty()) {
      r.Fail(p + ": holds of bookings not in the ledger (being admitted, or lost; not released): " +
             Join(unrecorded));
    }
    if (!moving.empty()) Note(r, p + ": held by bookings still in flight: " + Join(moving));
  }
  return r;
}

InvariantResult InvariantChecker::CheckCharges(const std::vector<std::string>& properties) {
  InvariantResult r{"I3", "exactly-once charge: a captured charge exactly for each CONFIRMED"};
  if (config_.bank.mode != "http") {
    r.verdict = InvariantResult::Verdict::kSkip;
    Note(r, "bank.mode is simulated: its book lives inside the processor");
    return r;
  }
  HttpClient bank(config_.bank.url, std::chrono::milliseconds(config_.bank.request_timeout_ms));
  auto listed = bank.Send("GET", "/v1/charges");
  if (!listed.ok() || listed->status != 200) {
    r.Fail("cannot read the bank's book at " + config_.bank.url);
    return r;
  }
  std::map<std::string, std::string> charges;  // key -> state
  // Parse into a local: a range-for over a member of a temporary would dangle.
  const json book = json::parse(listed->body, nullptr, /*allow_exceptions=*/false);
  if (!book.is_object() || !book.contains("charges")) {
    r.Fail("the bank's book is unreadable");
    return r;
  }
  for (const auto& c : book["charges"]) {
    charges[c["key"].get<std::string>()] = c["status"].get<std::string>();
  }
  const std::set<std::string> scope(properties.begin(), properties.end());
  for (const auto& p : properties) {
    const std::vector<BookingSummary>* bookings = BookingsOf(p, r);
    if (bookings == nullptr) continue;
    std::vector<std::string> uncharged;
    for (const auto& id : IdsWith(*bookings, BookingStatus::kConfirmed)) {
      if (charges[id] != "CAPTURED") uncharged.push_back(id);
    }
    if (!uncharged.empty()) r.Fail(p + ": CONFIRMED without a captured charge: " + Join(uncharged));
  }
  std::vector<std::string> orphans;
  for (const auto& [key, state] : charges) {
    if (state != "CAPTURED") continue;
    auto record = ledger_.Get(key);
    if (!record.ok()) {
      r.Fail("charge " + key + ": its booking could not be read: " + record.status().ToString());
      continue;  // a failed read knows nothing: never a fix target
    }
    if (!record->has_value()) {
      orphans.push_back(key);
      continue;
    }
    if (!scope.count((*record)->request.property_id)) continue;
    if ((*record)->status != BookingStatus::kConfirmed && IsTerminal((*record)->status)) {
      orphans.push_back(key);
    }
  }
  orphan_charges = orphans;
  if (!orphans.empty()) r.Fail("captured without a CONFIRMED booking: " + Join(orphans));
  return r;
}

InvariantResult InvariantChecker::CheckAccepted(const std::vector<std::string>& properties,
                                                const std::vector<std::string>& booking_ids) {
  InvariantResult r{"I4", "no lost acceptance: every accepted booking reached a terminal status"};
  std::map<std::string, BookingStatus> status;  // of every booking of the properties in scope
  for (const auto& p : properties) {
    const std::vector<BookingSummary>* bookings = BookingsOf(p, r);
    if (bookings == nullptr) return r;
    for (const BookingSummary& b : *bookings) status.emplace(b.booking_id, b.status);
  }
  std::vector<std::string> missing, open;
  for (const auto& id : booking_ids) {
    auto it = status.find(id);
    if (it == status.end()) {
      missing.push_back(id);
    } else if (!IsTerminal(it->second)) {
      open.push_back(id);
    }
  }
  if (!missing.empty()) r.Fail("accepted but not in the ledger: " + Join(missing));
  if (!open.empty()) r.Fail("accepted but not terminal: " + Join(open));
  Note(r, std::to_string(booking_ids.size()) + " accepted bookings checked");
  return r;
}

InvariantResult InvariantChecker::CheckStuck(const std::vector<std::string>& properties) {
  InvariantResult r{"I5", "nothing stuck: no booking non-terminal past the threshold"};
  const int64_t cutoff = NowUnixMillis() - config_.processor.stuck_threshold_s * 1000;
  auto stale = ledger_.FindStale(IsoFromUnixMillis(cutoff), 1000);
  if (!stale.ok()) {
    r.Fail(stale.status().ToString());
    return r;
  }
  const std::set<std::string> scope(properties.begin(), properties.end());
  std::vector<std::string> stuck;
  for (const auto& b : *stale) {
    if (scope.count(b.request.property_id)) stuck.push_back(b.request.booking_id);
  }
  if (!stuck.empty()) {
    r.Fail("non-terminal for over " + std::to_string(config_.processor.stuck_threshold_s) +
           " s (run wanderluxe reconcile --fix): " + Join(stuck));
  }
  return r;
}

InvariantResult InvariantChecker::CheckAudit(const std::vector<TopicEvent>& events) {
  InvariantResult r{"I6", "audit complete: every request event archived once"};
  if (HasAuditSink("mongo")) CheckMongoArchive(events, r);
  if (HasAuditSink("file")) CheckFileArchive(events, r);
  Note(r, std::to_string(events.size()) + " events checked");
  return r;
}

void InvariantChecker::CheckMongoArchive(const std::vector<TopicEvent>& events,
                                         InvariantResult& r) {
  // One pass over the archived ids of the requests topic. A lookup per event
  // (or per batch of ids) is a collection scan each on FerretDB, so the cost
  // would grow with the square of the archive. _id is the eventId, so the
  // collection cannot hold one twice.
  auto docs = mongo_.Find(config_.audit.collection,
                          nlohmann::json{{"topic", config_.kafka.requests_topic}}.dump(), "{}", 0,
                          R"({"_id":1})");
  if (!docs.ok()) {
    r.Fail("cannot read " + config_.audit.collection + ": " + docs.status().ToString());
    return;
  }
  std::set<std::string> archived;
  for (const auto& d : *docs) {
    auto doc = nlohmann::json::parse(d, nullptr, /*allow_exceptions=*/false);
    if (doc.is_object() && doc["_id"].is_string()) archived.insert(doc["_id"].get<std::string>());
  }
  std::vector<std::string> missing;
  for (const auto& e : events) {
    if (!archived.count(e.event_id)) missing.push_back(e.event_id);
  }
  if (!missing.empty())
    r.Fail("events not in the Mongo archive (is `wanderluxe audit` running?): " + Join(missing));
}

void InvariantChecker::CheckFileArchive(const std::vector<TopicEvent>& events, InvariantResult& r) {
  if (events.empty()) return;  // nothing accepted, nothing to find (no audit may have run)
  // The files are where the audit role writes them: verify runs beside it.
  auto lines = FileArchive::LinesPerId(config_.audit.dir, config_.kafka.requests_topic);
  if (!lines.ok()) {
    r.Fail("cannot read the file archive (run verify where the audit role writes audit.dir): " +
           lines.status().ToString());
    return;
  }
  std::vector<std::string> missing, twice;
  for (const auto& e : events) {
    auto it = lines->find(e.event_id);
    if (it == lines->end()) {
      missing.push_back(e.event_id);
    } else if (it->second > 1) {
      twice.push_back(e.event_id + " x" + std::to_string(it->second));
    }
  }
  if (!missing.empty())
    r.Fail("events not in the file archive (is `wanderluxe audit` running?): " + Join(missing));
  if (!twice.empty()) r.Fail("events on more than one line of the file archive: " + Join(twice));
}

bool InvariantChecker::HasAuditSink(const std::string& name) const {
  const auto& sinks = config_.audit.sinks;
  return std::find(sinks.begin(), sinks.end(), name) != sinks.end();
}

InvariantResult InvariantChecker::CheckUnsoldWhileRefused(
    const std::vector<std::string>& properties) {
  InvariantResult r{"I7",
                    "nothing left unsold while refused: no unit available while a booking that "
                    "waited ended SOLD_OUT"};
  for (const auto& p : properties) {
    FindStaleWaiters(p, r);
    auto levels = inventory_.Levels(p);
    if (!levels.ok()) {
      r.Fail(p + ": " + levels.status().ToString());
      continue;
    }
    if (levels->available <= 0) continue;
    const std::vector<BookingSummary>* bookings = BookingsOf(p, r);
    if (bookings == nullptr) continue;
    std::vector<std::string> refused;
    for (const BookingSummary& b : *bookings) {
      if (b.waited && b.status == BookingStatus::kSoldOut) refused.push_back(b.booking_id);
    }
    if (refused.empty()) continue;
    std::sort(refused.begin(), refused.end());
    std::string named;
    for (int64_t i = 0; i < static_cast<int64_t>(refused.size()) && i < kRefusedNamed; ++i) {
      named += (i ? ", " : "") + refused[static_cast<size_t>(i)];
    }
    if (static_cast<int64_t>(refused.size()) > kRefusedNamed) named += " and more";
    r.Fail(p + ": " + std::to_string(levels->available) +
           " available while bookings that waited ended SOLD_OUT: " + named);
  }
  return r;
}

void InvariantChecker::FindStaleWaiters(const std::string& property_id, InvariantResult& r) {
  auto waiters = listings_.WaiterArrivals(property_id);
  if (!waiters.ok()) {
    r.Fail(property_id + ": cannot read the waitlist (" + waiters.status().ToString() + ")");
    return;
  }
  if (waiters->empty()) return;
  const std::vector<BookingSummary>* bookings = BookingsOf(property_id, r);
  if (bookings == nullptr) return;
  std::map<std::string, BookingStatus> status;
  for (const BookingSummary& b : *bookings) status.emplace(b.booking_id, b.status);
  // Unrecorded and recent: admitted a moment ago (the reserve comes before the insert).
  const int64_t cutoff = NowUnixMillis() - config_.processor.stuck_threshold_s * 1000;
  std::vector<std::string> stale;
  for (const auto& [id, arrival] : *waiters) {
    auto it = status.find(id);
    const bool finished = it != status.end() && IsTerminal(it->second);
    const bool lost = it == status.end() && arrival < cutoff;
    if (!finished && !lost) continue;
    stale.push_back(id);
    stale_waiters.emplace_back(property_id, id);
  }
  // A release would hand such an entry a unit nobody pays for (I2 would
  // then find it a leaked hold).
  if (!stale.empty()) {
    r.Fail(property_id +
           ": waitlist entries of finished or unknown bookings (reconcile --fix removes them): " +
           Join(stale));
  }
}

std::vector<InvariantResult> InvariantChecker::Check(VerifyScope scope) {
  if (scope.properties.empty()) {
    auto discovered = DiscoverProperties();
    if (!discovered.ok()) {
      // Every invariant is over the properties: none can be checked without them.
      InvariantResult r{"I1", "no oversell"};
      r.Fail("cannot list the properties (SCAN inventory:*): " + discovered.status().ToString());
      return {r};
    }
    scope.properties = std::move(*discovered);
  }
  // The requests topic is read for I4 without a list of 202s, and for I6;
  // before the ledger, so that every event read has had its chance to be
  // recorded when the ledger is read.
  Result<std::vector<TopicEvent>> events = std::vector<TopicEvent>();
  if (!scope.accepted_ids || scope.check_audit) events = ReadRequestsTopic(scope.properties);
  // One pass over the ledger for every property: the checks below read it.
  auto summaries = scans_.SummarizeProperties(scope.properties);
  summaries_status_ = summaries.ok() ? Status::Ok() : summaries.status();
  summaries_ =
      summaries.ok() ? std::move(*summaries) : std::map<std::string, std::vector<BookingSummary>>();
  std::vector<InvariantResult> results = {CheckOversell(scope.properties),
                                          CheckConservation(scope.properties),
                                          CheckCharges(scope.properties)};
  std::vector<std::string> accepted;
  if (scope.accepted_ids) {
    accepted = *scope.accepted_ids;
  } else if (events.ok()) {
    std::set<std::string> ids;
    for (const auto& e : *events) ids.insert(e.booking_id);
    accepted.assign(ids.begin(), ids.end());
  }
  if (!scope.accepted_ids && !events.ok()) {
    InvariantResult r{"I4", "no lost acceptance"};
    r.Fail("cannot read " + config_.kafka.requests_topic + ": " + events.status().ToString());
    results.push_back(r);
  } else {
    results.push_back(CheckAccepted(scope.properties, accepted));
  }
  results.push_back(CheckStuck(scope.properties));
  if (scope.check_audit) results.push_back(AuditResult(events));
  results.push_back(CheckUnsoldWhileRefused(scope.properties));
  return results;
}

InvariantResult InvariantChecker::AwaitAudit(const std::vector<std::string>& properties,
                                             std::chrono::seconds wait) {
  const auto deadline = std::chrono::steady_clock::now() + wait;
  const Result<std::vector<TopicEvent>> events = ReadRequestsTopic(properties);
  while (true) {
    InvariantResult r = AuditResult(events);
    if (r.verdict != InvariantResult::Verdict::kFail || !events.ok() ||
        std::chrono::steady_clock::now() + kAuditPollInterval > deadline) {
      return r;
    }
    std::this_thread::sleep_for(kAuditPollInterval);
  }
}

InvariantResult InvariantChecker::AuditResult(const Result<std::vector<TopicEvent>>& events) {
  if (!events.ok()) {
    InvariantResult r{"I6", "audit complete"};
    r.Fail("cannot read " + config_.kafka.requests_topic + ": " + events.status().ToString());
    return r;
  }
  if (!HasAuditSink("mongo") && !HasAuditSink("file")) {
    InvariantResult r{"I6", "audit complete", InvariantResult::Verdict::kSkip};
    Note(r, "audit.sinks names no archive to check");
    return r;
  }
  return CheckAudit(*events);
}

}  // namespace wanderluxe
