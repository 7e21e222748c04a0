// ArchiveSink over daily JSON-lines files (`<dir>/events-YYYY-MM-DD.jsonl`,
// the day each record was received), fdatasync'd before Append returns.
//
// Each eventId once, across crashes and recreated topics. One consumer
// reads each partition in order and commits only what is archived, so for
// each incarnation of a topic (deleted and created again, its offsets
// restart) the files hold, per partition, an ascending run of offsets ending
// at the partition's mark: the offset of the last line written for it. The
// run has a gap only where a record's archive_id (its eventId; for an
// unreadable event, coordinates plus timestamp and hash) was on file already:
// the same event published again (a producer's retry, an outcome announced
// again), which is not archived twice. That check covers the ids of each
// partition's last lines (FileArchiveMemory::recent_ids), read back from the
// files at start: a copy published further behind its first is archived
// again, and `verify` I6 names it.
//
// A record at or below the mark whose id is not among those is either a
// redelivery (the same record is on file at that offset) or a recreated
// topic's (another record is, or none): the sink compares its archive_id
// with the one on file at that offset, read from the files a window at a
// time. A mismatch starts a new incarnation, whose mark starts again at that
// record. Lines are written in that order, so the files, read in order, show
// each incarnation's start as an offset going backwards. A redelivery that
// deep landing on a gap reads as a recreated topic's: archived again, never
// lost.
//
// A batch is written one file (day) at a time, in order, each made durable
// before its lines count as on file: a batch that fails half way (the second
// day's file) is retried without the first day's lines written again. The
// lines of a failed write are cut off again, and the marks read back from
// the files before the next append. A torn last line (a crash mid-write) is
// cut off at start, and every file the sink reads its marks from is synced
// first, so what counts as on file is durable.
//
// One sink writes a directory at a time: Open takes an exclusive lock on
// `<dir>/.lock` (flock, released when the sink closes or its process dies)
// and refuses a directory another process holds. A day's file is created
// with its directory synced, so a synced line never loses its file's name.
//
// Assumes what the audit role guarantees: a partition is never rewound below
// the first offset the files hold of its incarnation (the group starts at the
// earliest offset), and received days never go backwards.
#ifndef WANDERLUXE_ADAPTERS_FILE_FILE_ARCHIVE_H_
#define WANDERLUXE_ADAPTERS_FILE_FILE_ARCHIVE_H_

#include <algorithm>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "wanderluxe/ports/archive_sink.h"

namespace wanderluxe {

// In the archive's directory: locked by the one sink that writes there.
inline constexpr const char* kArchiveLockFile = ".lock";

// How many archive ids a partition keeps in memory.
struct FileArchiveMemory {
  // Of its last lines: what an event published again is checked against
  // (AuditConfig::file_dedup_ids); far more than a batch (ArchiverOptions).
  size_t recent_ids = 16384;
  size_t window_ids = 65536;  // read from the files when a redelivery goes further back
};

class FileArchive final : public ArchiveSink {
 public:
  // Creates `dir` if needed and scans what is there.
  static Result<std::unique_ptr<FileArchive>> Open(const std::string& dir,
                                                   FileArchiveMemory memory = {});
  ~FileArchive() override;

  std::string name() const override { return "file"; }
  Status Append(const std::vector<AuditRecord>& records) override;

  // Readers of an archive another process may be appending to: they never
  // write, and skip a torn last line.
  // Every archived record of `booking_id`, oldest first (for `audit trail`).
  static Result<std::vector<std::string>> Trail(const std::string& dir,
                                                const std::string& booking_id);
  // How many lines each archive id of `topic` has on file (for `verify` I6).
  static Result<std::map<std::string, int64_t>> LinesPerId(const std::string& dir,
                                                           const std::string& topic);

  // The mark of a partition (its current incarnation's last offset), or -1.
  int64_t HighestOffset(const std::string& topic, int32_t partition) const;

 private:
  using Partition = std::pair<std::string, int32_t>;

  using Ids = std::deque<std::pair<int64_t, std::string>>;  // (offset, archive_id), offsets ascend

  // What the files hold of one partition's current incarnation.
  struct Mark {
    Mark() = default;
    Mark(const Mark&) = delete;  // recent_ids points into recent
    Mark& operator=(const Mark&) = delete;
    Mark& operator=(Mark&&) = default;

    int64_t offset = -1;  // of the last line written
    Ids recent;           // of the last lines
    // How often each id is in `recent`. Views into recent's strings, which a
    // deque leaves in place as entries are added at the back and dropped at
    // the front; an entry's count is dropped with it.
    std::unordered_map<std::string_view, uint32_t> recent_ids;
    // Of the lines with offsets in [window_from, window_to), all before `recent`.
    Ids window;
    int64_t window_from = 0, window_to = 0;
  };

  FileArchive(std::string dir, FileArchiveMemory memory)
      : dir_(std::move(dir)),
        memory_{std::max<size_t>(memory.recent_ids, 1), std::max<size_t>(memory.window_ids, 1)} {}
  Status Scan();
  // Counts a line at `offset` with `archive_id` as on file.
  void Written(Mark& mark, int64_t offset, const std::string& archive_id);
  // Whether `r`, or another copy of its event, is on file already (reading
  // the files when it must).
  Result<bool> OnFile(const AuditRecord& r, Mark& mark) const;
  // Reads into `mark.window` the ids on file from `offset` on, up to `recent`.
  Status LoadWindow(const Partition& partition, Mark& mark, int64_t offset) const;
  // Appends `lines` to the day's file and syncs it; cuts them off again on failure.
  Status WriteDurably(const std::string& day, const std::string& lines);
  Result<int> FileFor(const std::string& day);

  const std::string dir_;
  const FileArchiveMemory memory_;
  std::map<Partition, Mark> marks_;
  bool stale_ = false;  // a write failed: read the marks back from the files
  std::string open_day_;
  int fd_ = -1;
  int lock_fd_ = -1;  // holds kArchiveLockFile's lock for the sink's life
};

}  // namespace wanderluxe

#endif  // WANDERLUXE_ADAPTERS_FILE_FILE_ARCHIVE_H_
