#include "sim/checker.h"

#include <nlohmann/json.hpp>
#include <set>

namespace wanderluxe::sim {
namespace {

std::string Name(BookingStatus status) { return std::string(BookingStatusName(status)); }

// The statuses each booking's guest was told, by booking.
std::map<std::string, std::set<std::string>> Told(const std::vector<OutgoingEvent>& outcomes) {
  std::map<std::string, std::set<std::string>> told;
  for (const OutgoingEvent& e : outcomes) {
    const auto doc = nlohmann::json::parse(e.value, nullptr, /*allow_exceptions=*/false);
    if (!doc.is_object() || !doc.contains("payload")) continue;
    const auto& payload = doc["payload"];
    told[payload.value("bookingId", "")].insert(payload.value("status", ""));
  }
  return told;
}

void CheckUnits(const SimInventory::Property& p, const std::map<std::string, BookingRecord>& ledger,
                std::vector<std::string>& out) {
  int64_t confirmed = 0;
  for (const auto& [id, r] : ledger) {
    if (r.status != BookingStatus::kConfirmed) continue;
    ++confirmed;
    if (!p.sold.count(id)) out.push_back("I1 " + id + " is CONFIRMED but sold no unit");
  }
  const auto sold = static_cast<int64_t>(p.sold.size());
  if (sold != confirmed || sold > p.total) {
    out.push_back("I1 " + std::to_string(sold) + " units sold, " + std::to_string(confirmed) +
                  " bookings CONFIRMED, " + std::to_string(p.total) + " units in all");
  }
  const auto held = static_cast<int64_t>(p.holds.size());
  if (p.available + held + sold != p.total) {
    out.push_back("I2 available " + std::to_string(p.available) + " + held " +
                  std::to_string(held) + " + sold " + std::to_string(sold) +
                  " != " + std::to_string(p.total));
  }
  for (const auto& id : p.holds) {
    auto r = ledger.find(id);
    out.push_back("I2 leaked hold of " + id + " (" +
                  (r == ledger.end() ? "not in the ledger" : Name(r->second.status)) + ")");
  }
  for (const auto& [id, at] : p.waiting) out.push_back("I2 " + id + " still on the waitlist");
  // With a unit available at the end, a waiter that ended SOLD_OUT must have
  // waited its whole timeout, or been turned away when the last unit there
  // was sold (a restock after that is for new guests).
  if (p.available <= 0) return;
  for (const auto& [id, r] : ledger) {
    if (r.status == BookingStatus::kSoldOut && r.waitlist_position > 0 && !p.waited_out.count(id) &&
        !p.turned_away.count(id)) {
      out.push_back("I7 " + id + " waited and ended SOLD_OUT before its timeout while " +
                    std::to_string(p.available) + " unit(s) are available");
    }
  }
}

void CheckMoney(const std::map<std::string, BookingRecord>& ledger,
                const std::map<std::string, SimBank::Account>& bank,
                std::vector<std::string>& out) {
  for (const auto& [key, account] : bank) {
    auto r = ledger.find(key);
    const bool confirmed = r != ledger.end() && r->second.status == BookingStatus::kConfirmed;
    if (account.state == ChargeState::kCaptured && !confirmed) {
      out.push_back("I3 the bank holds a captured charge of " + key + ", which is " +
                    (r == ledger.end() ? "not in the ledger" : Name(r->second.status)));
    }
    if (confirmed && account.state != ChargeState::kCaptured) {
      out.push_back("I3 " + key + " is CONFIRMED but its charge is " +
                    std::string(ChargeStateName(account.state)));
    }
    if (account.captures > 1) out.push_back("I3 " + key + " was charged more than once");
  }
  for (const auto& [id, r] : ledger) {
    if (r.status == BookingStatus::kConfirmed && !bank.count(id)) {
      out.push_back("I3 " + id + " is CONFIRMED and the bank never charged it");
    }
  }
}

void CheckAccepted(const std::vector<BookingEvent>& accepted,
                   const std::map<std::string, BookingRecord>& ledger,
                   const std::vector<OutgoingEvent>& outcomes, std::vector<std::string>& out) {
  const auto told = Told(outcomes);
  std::set<std::string> ids;
  for (const auto& e : accepted) ids.insert(e.request.booking_id);
  for (const auto& id : ids) {
    auto r = ledger.find(id);
    if (r == ledger.end()) {
      out.push_back("I4 " + id + " was accepted and is not in the ledger");
      continue;
    }
    const BookingStatus status = r->second.status;
    if (!IsTerminal(status)) {
      out.push_back("I5 " + id + " is still " + Name(status) + " after the world settled");
      continue;
    }
    auto heard = told.find(id);
    if (heard == told.end() || !heard->second.count(Name(status))) {
      out.push_back("I4 the guest of " + id + " was never told " + Name(status));
    }
    if (heard == told.end()) continue;
    for (const auto& said : heard->second) {
      const auto parsed = ParseBookingStatus(said);
      if (!parsed || !IsTerminal(*parsed) || *parsed == status) continue;
      if (*parsed == BookingStatus::kRejected) continue;  // a reused bookingId's answer
      out.push_back("I4 the guest of " + id + " was told " + said + " but it ended " +
                    Name(status));
    }
  }
}

// The status a view's public JSON shows.
std::string ViewStatus(const StatusView& view) {
  const auto doc = nlohmann::json::parse(view.body, nullptr, /*allow_exceptions=*/false);
  return doc.is_object() ? doc.value("status", "") : "";
}

}  // namespace

void CheckViews(const std::vector<OutgoingEvent>& outcomes,
                const std::vector<std::optional<StatusView>>& views_at_write,
                const std::map<std::string, BookingRecord>& ledger,
                const std::function<std::optional<StatusView>(const std::string&)>& view_of,
                std::vector<std::string>& out) {
  for (size_t i = 0; i < outcomes.size() && i < views_at_write.size(); ++i) {
    const auto doc = nlohmann::json::parse(outcomes[i].value, nullptr, false);
    if (!doc.is_object() || !doc.contains("payload")) continue;
    const std::string id = doc["payload"].value("bookingId", "");
    const std::string told = doc["payload"].value("status", "");
    auto status = ParseBookingStatus(told);
    if (!status || !IsTerminal(*status) || *status == BookingStatus::kRejected) continue;
    const std::optional<StatusView>& view = views_at_write[i];
    if (!view || ViewStatus(*view) != told) {
      out.push_back("IV " + id + " was told " + told + " over a view showing " +
                    (view ? ViewStatus(*view) : std::string("nothing")));
    }
  }
  for (const auto& [id, record] : ledger) {
    if (!IsTerminal(record.status)) continue;
    const std::optional<StatusView> view = view_of(id);
    if (!view || ViewStatus(*view) != Name(record.status)) {
      out.push_back("IV " + id + " ended " + Name(record.status) + " but its view shows " +
                    (view ? ViewStatus(*view) : std::string("nothing")));
    }
  }
}

std::vector<std::string> Check(const std::vector<BookingEvent>& accepted,
                               const SimInventory::Property& property,
                               const std::map<std::string, BookingRecord>& ledger,
                               const std::map<std::string, SimBank::Account>& bank,
                               const std::vector<OutgoingEvent>& outcomes) {
  std::vector<std::string> out;
  CheckUnits(property, ledger, out);
  CheckMoney(ledger, bank, out);
  CheckAccepted(accepted, ledger, outcomes, out);
  return out;
}

}  // namespace wanderluxe::sim
