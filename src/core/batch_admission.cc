#include "wanderluxe/batch_admission.h"

#include <spdlog/spdlog.h>

#include <map>
#include <set>

namespace wanderluxe {
namespace {

bool Holds(const Reservation& r) {
  return r == ReserveOutcome::kReserved || r == ReserveOutcome::kAlreadyHeld ||
         r == ReserveOutcome::kAlreadySold;
}

}  // namespace

BatchAdmission::BatchAdmission(BookingSaga& saga)
    : saga_(saga), inventory_(saga.inventory()), ledger_(saga.ledger()), options_(saga.options()) {}

template <typename Call>
auto BatchAdmission::Retry(const char* step, Call call, const std::atomic<bool>& stop)
    -> decltype(call()) {
  return RetryWithBackoff(
      options_.retry, RetryLimits{options_.max_attempts, 0}, *options_.clock, stop, call,
      [](const Status&) { return false; },
      [&](const Status& s, int attempt, std::chrono::milliseconds delay) {
        spdlog::warn("batch step {} failed (attempt {}): {}; retrying in {} ms", step, attempt,
                     s.ToString(), delay.count());
      });
}

Result<DecidedBatch> BatchAdmission::Decide(const std::vector<BookingEvent>& events,
                                            const std::set<std::string>& in_flight,
                                            const std::atomic<bool>& stop) {
  DecidedBatch batch;
  batch.admissions.resize(events.size());  // kDriveEvent unless decided here
  batch.reserved.resize(events.size());
  // Only a booking's first event in the batch is decided; later ones follow
  // it one by one (kOneBookingAtATime), finding its record in the ledger.
  std::vector<size_t> firsts;
  std::vector<std::string> ids;
  std::set<std::string> seen;
  for (size_t i = 0; i < events.size(); ++i) {
    const std::string& id = events[i].request.booking_id;
    if (!seen.insert(id).second || in_flight.count(id)) continue;  // kNotTwiceInFlight
    firsts.push_back(i);
    ids.push_back(id);
  }
  if (ids.empty()) return batch;
  auto existing = Retry(
      "get many", [&] { return ledger_.GetMany(ids); }, stop);
  if (!existing.ok()) return existing.status();

  // kNeverReReserved: only bookings the ledger does not have are reserved,
  // each property's in offset order.
  std::vector<std::string> properties;  // in order of first appearance
  std::map<std::string, std::vector<size_t>> by_property;
  for (size_t i : firsts) {
    if (existing->count(events[i].request.booking_id)) continue;
    const std::string& property = events[i].request.property_id;
    auto& list = by_property[property];
    if (list.empty()) properties.push_back(property);
    list.push_back(i);
  }
  std::vector<size_t>& decided = batch.decided;
  std::vector<Reservation>& reserved = batch.reserved;
  for (const auto& property : properties) {
    const std::vector<size_t>& group = by_property[property];
    std::vector<std::string> booking_ids;
    for (size_t i : group) booking_ids.push_back(events[i].request.booking_id);
    auto outcomes = Retry(
        "reserve batch", [&] { return inventory_.ReserveBatch(property, booking_ids); }, stop);
    if (!outcomes.ok()) return outcomes.status();
    for (size_t j = 0; j < group.size(); ++j) {
      reserved[group[j]] = (*outcomes)[j];
      decided.push_back(group[j]);
    }
  }
  batch.records.reserve(decided.size());
  for (size_t i : decided) {
    const std::string driver = Holds(reserved[i]) ? saga_.NewDriver() : "";
    batch.records.push_back(saga_.AdmittedRecord(events[i], reserved[i], driver));
  }
  return batch;
}

Result<std::vector<Admission>> BatchAdmission::Record(const std::vector<BookingEvent>& events,
                                                      DecidedBatch batch,
                                                      const std::atomic<bool>& stop) {
  std::vector<Admission>& admissions = batch.admissions;
  const std::vector<size_t>& decided = batch.decided;
  const std::vector<Reservation>& reserved = batch.reserved;
  std::vector<BookingRecord>& records = batch.records;
  if (decided.empty()) return std::move(admissions);
  auto inserted = Retry(
      "insert many", [&] { return ledger_.InsertMany(records); }, stop);
  if (!inserted.ok()) return inserted.status();

  std::vector<std::string> lost;
  for (size_t k = 0; k < decided.size(); ++k) {
    if ((*inserted)[k] == InsertOutcome::kExists) lost.push_back(records[k].request.booking_id);
  }
  std::map<std::string, BookingRecord> winners;
  if (!lost.empty()) {
    auto found = Retry(
        "get many", [&] { return ledger_.GetMany(lost); }, stop);
    if (!found.ok()) return found.status();
    winners = std::move(*found);
  }
  for (size_t k = 0; k < decided.size(); ++k) {
    const size_t i = decided[k];
    BookingRecord& record = records[k];
    Admission& a = admissions[i];
    if ((*inserted)[k] == InsertOutcome::kExists) {
      auto winner = winners.find(record.request.booking_id);
      if (winner == winners.end()) continue;  // kDriveEvent finds out what became of it
      // kNoLeak. The winner may be this very record, in by an earlier attempt
      // whose answer was lost: then its lease names our driver.
      if (Status s = saga_.SettleLostInsert(events[i].request, reserved[i], winner->second, stop);
          !s.ok()) {
        return s;
      }
      const bool ours =
          !record.lease.owner.empty() && winner->second.lease.owner == record.lease.owner;
      if (ours) {
        a = {Admission::Next::kDriveAdmitted, std::move(winner->second), record.lease.owner, {}};
      }
      continue;
    }
    if (record.status == BookingStatus::kSoldOut) {
      a.next = Admission::Next::kPublish;
      a.outcome = saga_.OutcomeMessage(record, SagaVerdict::kTerminal, events[i].metadata.trace_id);
      a.record = std::move(record);
    } else {
      // Holding a unit, or WAITLISTED: the worker pool goes on with it (a
      // waiter is checked once more now that it is in the ledger, in case a
      // unit was handed to it before its record existed).
      a.next = Admission::Next::kDriveAdmitted;
      a.driver = record.lease.owner.empty() ? saga_.NewDriver() : record.lease.owner;
      a.record = std::move(record);
    }
  }
  // kViewBeforeOutcome: the sold-out bookings' views in one call, before
  // the processor publishes their outcomes.
  std::vector<BookingRecord> sold_out;
  for (const Admission& a : admissions) {
    if (a.next == Admission::Next::kPublish) sold_out.push_back(a.record);
  }
  if (Status s = saga_.ShowStatuses(sold_out, stop); !s.ok()) return s;
  return std::move(admissions);
}

}  // namespace wanderluxe
