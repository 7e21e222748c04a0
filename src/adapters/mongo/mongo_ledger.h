// Ledger over MongoDB / FerretDB: collection `bookings`, `_id` = bookingId.
// No multi-document transactions are needed (FerretDB 1.x has none): each
// booking is one document and each change one conditional update.
//
// With `mongo.ledger_shards` = k > 1 the documents live in `bookings_00` ..
// `bookings_<k-1>`, chosen by a stable hash of the bookingId: one booking is
// always in one collection, so every guarantee above holds per collection.
// Reads by property or status visit every shard.
#ifndef WANDERLUXE_ADAPTERS_MONGO_MONGO_LEDGER_H_
#define WANDERLUXE_ADAPTERS_MONGO_MONGO_LEDGER_H_

#include "adapters/mongo/mongo_store.h"
#include "wanderluxe/ports/ledger.h"

namespace wanderluxe {

inline constexpr const char* kBookingsCollection = "bookings";

class MongoLedger final : public Ledger {
 public:
  explicit MongoLedger(MongoStore& store);

  // {propertyId:1, status:1}, {userId:1}, {status:1, updatedAt:1}; safe to repeat.
  Status EnsureIndexes();
  // Drops every shard (benchmarks clean up after themselves).
  Status DropAll();
  // The collection that holds `booking_id`.
  const std::string& CollectionFor(const std::string& booking_id) const;

  Status Insert(const BookingRecord& record) override;
  Result<std::optional<BookingRecord>> Get(const std::string& booking_id) override;
  Status Transition(const std::string& booking_id, BookingStatus from, int64_t version,
                    const LedgerChange& change) override;
  Result<std::vector<BookingRecord>> FindStale(const std::string& updated_before,
                                               int64_t limit) override;
  Result<std::map<BookingStatus, int64_t>> CountByStatus(const std::string& property_id) override;
  Result<std::vector<std::string>> IdsWithStatus(const std::string& property_id,
                                                 BookingStatus status) override;
  Result<std::map<std::string, BookingStatus>> StatusByBooking(
      const std::string& property_id) override;

 private:
  // Every shard's documents matching `filter`, one shard after another.
  Result<std::vector<std::string>> FindEverywhere(const std::string& filter,
                                                  const std::string& sort, int64_t limit,
                                                  const std::string& projection = "");

  MongoStore& store_;
  std::vector<std::string> collections_;  // one per shard
};

// The document form of a record, and back (exposed for tests).
std::string BookingDocument(const BookingRecord& record);
Result<BookingRecord> ParseBookingDocument(const std::string& json);

}  // namespace wanderluxe

#endif  // WANDERLUXE_ADAPTERS_MONGO_MONGO_LEDGER_H_
