// ArchiveSink over daily JSON-lines files (`<dir>/events-YYYY-MM-DD.jsonl`),
// fdatasync'd before Append returns.
//
// Exactly-once across crashes: one consumer reads each partition in order, so
// the archive holds, per (topic, partition), a gap-free prefix of offsets. At
// start the sink scans its files for each partition's highest archived offset
// and later skips any redelivered record at or below it. A torn last line
// (crash mid-write) is cut off before the first append.
#ifndef WANDERLUXE_ADAPTERS_FILE_FILE_ARCHIVE_H_
#define WANDERLUXE_ADAPTERS_FILE_FILE_ARCHIVE_H_

#include <map>
#include <memory>
#include <string>
#include <utility>

#include "wanderluxe/ports/archive_sink.h"

namespace wanderluxe {

class FileArchive final : public ArchiveSink {
 public:
  // Creates `dir` if needed and scans what is there.
  static Result<std::unique_ptr<FileArchive>> Open(const std::string& dir);
  ~FileArchive() override;

  std::string name() const override { return "file"; }
  Status Append(const std::vector<AuditRecord>& records) override;

  // Every archived record of `booking_id`, oldest first (for `audit trail`).
  Result<std::vector<std::string>> Trail(const std::string& booking_id) const;

  // Highest archived offset of a partition, or -1.
  int64_t HighestOffset(const std::string& topic, int32_t partition) const;

 private:
  explicit FileArchive(std::string dir) : dir_(std::move(dir)) {}
  Status Scan();
  Result<int> FileFor(const std::string& day);

  const std::string dir_;
  std::map<std::pair<std::string, int32_t>, int64_t> highest_;
  std::string open_day_;
  int fd_ = -1;
};

}  // namespace wanderluxe

#endif  // WANDERLUXE_ADAPTERS_FILE_FILE_ARCHIVE_H_
