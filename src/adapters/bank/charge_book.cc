#include "adapters/bank/charge_book.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

namespace wanderluxe {
namespace {

using nlohmann::json;

std::optional<ChargeState> ParseState(const std::string& s) {
  for (ChargeState st :
       {ChargeState::kNone, ChargeState::kCaptured, ChargeState::kDeclined, ChargeState::kVoided}) {
    if (ChargeStateName(st) == s) return st;
  }
  return std::nullopt;
}

}  // namespace

Result<std::unique_ptr<ChargeBook>> ChargeBook::Open(const std::string& path) {
  std::unique_ptr<ChargeBook> book(new ChargeBook(path));
  if (path.empty()) return book;
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  if (Status s = book->Load(); !s.ok()) return s;
  return book;
}

ChargeBook::~ChargeBook() {
  if (fd_ >= 0) close(fd_);
}

Status ChargeBook::Load() {
  // Not shared yet; locked all the same, so the analysis sees every access guarded.
  MutexLock lock(&mu_);
  std::ifstream in(path_);
  for (std::string line; std::getline(in, line);) {
    json doc = json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded()) continue;  // a torn last line: that change never returned
    auto state = ParseState(doc.value("state", ""));
    if (!state) continue;
    entries_[doc.value("key", "")] = {
        *state,
        doc.value("transactionId", ""),
        {doc.value("amountMinor", int64_t{0}), doc.value("currency", "")}};
  }
  fd_ = open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd_ < 0) return Status::Unavailable("charge book " + path_ + ": " + std::strerror(errno));
  return Status::Ok();
}

Status ChargeBook::Append(const std::string& key, const ChargeEntry& e) {
  if (fd_ < 0) return Status::Ok();
  const std::string line = json{{"key", key},
                                {"state", ChargeStateName(e.state)},
                                {"transactionId", e.transaction_id},
                                {"amountMinor", e.amount.minor_units},
                                {"currency", e.amount.currency}}
                               .dump() +
                           "\n";
  if (write(fd_, line.data(), line.size()) != static_cast<ssize_t>(line.size()) ||
      fdatasync(fd_) != 0) {
    return Status::Unavailable(std::string("charge book write: ") + std::strerror(errno));
  }
  return Status::Ok();
}

Result<ChargeEntry> ChargeBook::Record(const std::string& key, const ChargeEntry& decision) {
  MutexLock lock(&mu_);
  auto it = entries_.find(key);
  if (it != entries_.end()) return it->second;
  if (Status s = Append(key, decision); !s.ok()) return s;
  entries_[key] = decision;
  return decision;
}

Result<ChargeState> ChargeBook::Void(const std::string& key) {
  MutexLock lock(&mu_);
  ChargeEntry& e = entries_[key];
  if (e.state == ChargeState::kDeclined || e.state == ChargeState::kVoided) return e.state;
  ChargeEntry voided = e;
  voided.state = ChargeState::kVoided;
  if (Status s = Append(key, voided); !s.ok()) {
    if (e.state == ChargeState::kNone) entries_.erase(key);
    return s;
  }
  e = voided;
  return e.state;
}

std::optional<ChargeEntry> ChargeBook::Lookup(const std::string& key) const {
  MutexLock lock(&mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return std::nullopt;
  return it->second;
}

std::map<std::string, ChargeEntry> ChargeBook::All() const {
  MutexLock lock(&mu_);
  return entries_;
}

}  // namespace wanderluxe
