// A ledger that forwards every call to another, for tests that hold one call
// back or make callers meet on a live ledger: derive and override that call.
// It adds nothing of its own, so it is never stronger than the ledger inside.
#ifndef WANDERLUXE_TESTS_SUPPORT_FORWARDING_LEDGER_H_
#define WANDERLUXE_TESTS_SUPPORT_FORWARDING_LEDGER_H_

#include "wanderluxe/ports/ledger.h"

namespace wanderluxe::testing {

class ForwardingLedger : public Ledger {
 public:
  explicit ForwardingLedger(Ledger& inner) : inner_(inner) {}

  Status Insert(const BookingRecord& record) override { return inner_.Insert(record); }
  Result<std::optional<BookingRecord>> Get(const std::string& id) override {
    return inner_.Get(id);
  }
  Result<std::map<std::string, BookingRecord>> GetMany(
      const std::vector<std::string>& ids) override {
    return inner_.GetMany(ids);
  }
  Result<std::map<std::string, BookingRecord>> GetRecorded(
      const std::vector<std::string>& ids) override {
    return inner_.GetRecorded(ids);
  }
  Result<std::vector<InsertOutcome>> InsertMany(const std::vector<BookingRecord>& rs) override {
    return inner_.InsertMany(rs);
  }
  Status Transition(const std::string& id, BookingStatus from, int64_t version,
                    const LedgerChange& change) override {
    return inner_.Transition(id, from, version, change);
  }
  Status MarkOutcomePublished(const std::string& id, int64_t version) override {
    return inner_.MarkOutcomePublished(id, version);
  }
  std::vector<Status> TransitionMany(const std::vector<LedgerTransition>& ts) override {
    return inner_.TransitionMany(ts);
  }
  Status MarkOutcomesPublished(const std::vector<PublishedOutcome>& published) override {
    return inner_.MarkOutcomesPublished(published);
  }
  Result<std::vector<BookingRecord>> FindStale(const std::string& before, int64_t limit) override {
    return inner_.FindStale(before, limit);
  }

 private:
  Ledger& inner_;
};

}  // namespace wanderluxe::testing

#endif  // WANDERLUXE_TESTS_SUPPORT_FORWARDING_LEDGER_H_
