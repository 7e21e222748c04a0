// The bank's book of charges: one entry per idempotency key, durable in an
// append-only JSON-lines file (fsync'd per change, replayed at start). The
// first decision for a key is final; a void turns a capture into VOIDED and
// an unknown key into a VOIDED tombstone that no later charge can pass.
#ifndef WANDERLUXE_ADAPTERS_BANK_CHARGE_BOOK_H_
#define WANDERLUXE_ADAPTERS_BANK_CHARGE_BOOK_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "wanderluxe/money.h"
#include "wanderluxe/mutex.h"
#include "wanderluxe/ports/bank.h"
#include "wanderluxe/thread_annotations.h"

namespace wanderluxe {

struct ChargeEntry {
  ChargeState state = ChargeState::kNone;
  std::string transaction_id;
  Money amount;
};

class ChargeBook {
 public:
  // `path` empty: in memory only.
  static Result<std::unique_ptr<ChargeBook>> Open(const std::string& path);
  ~ChargeBook();

  // Records `decision` for `key` unless the key has an entry; returns the entry
  // that holds now (the earlier one on a replay).
  Result<ChargeEntry> Record(const std::string& key, const ChargeEntry& decision) EXCLUDES(mu_);
  Result<ChargeState> Void(const std::string& key) EXCLUDES(mu_);
  std::optional<ChargeEntry> Lookup(const std::string& key) const EXCLUDES(mu_);
  std::map<std::string, ChargeEntry> All() const EXCLUDES(mu_);

 private:
  explicit ChargeBook(std::string path) : path_(std::move(path)) {}
  // Replays the file into entries_, then opens it for appending.
  Status Load() EXCLUDES(mu_);
  Status Append(const std::string& key, const ChargeEntry& entry) REQUIRES(mu_);

  const std::string path_;
  mutable Mutex mu_;
  std::map<std::string, ChargeEntry> entries_ GUARDED_BY(mu_);
  int fd_ GUARDED_BY(mu_) = -1;
};

}  // namespace wanderluxe

#endif  // WANDERLUXE_ADAPTERS_BANK_CHARGE_BOOK_H_
