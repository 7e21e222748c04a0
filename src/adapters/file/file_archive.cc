#include "adapters/file/file_archive.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>

namespace wanderluxe {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

Status Errno(const std::string& what) {
  return Status::Unavailable(what + ": " + std::strerror(errno));
}

// The archive's files, in the order their lines were written (names sort by day).
Result<std::vector<fs::path>> ArchiveFiles(const std::string& dir) {
  std::vector<fs::path> files;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.rfind("events-", 0) == 0 && it->path().extension() == ".jsonl") {
      files.push_back(it->path());
    }
  }
  if (ec) return Status::Unavailable("audit dir " + dir + ": " + ec.message());
  std::sort(files.begin(), files.end());
  return files;
}

// The file a record goes to: the day it was received, YYYY-MM-DD.
std::string DayOf(const std::string& received_at) {
  bool dated = received_at.size() >= 10;
  for (size_t i = 0; dated && i < 10; ++i) {
    const auto c = static_cast<unsigned char>(received_at[i]);
    dated = (i == 4 || i == 7) ? c == '-' : std::isdigit(c) != 0;
  }
  return dated ? received_at.substr(0, 10) : "undated";
}

// Where an archived line is, and what it holds.
struct Line {
  std::string topic;
  int32_t partition = 0;
  int64_t offset = -1;
  std::string archive_id;
};

std::optional<Line> ParseLine(const std::string& text) {
  const json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) return std::nullopt;
  const auto topic = doc.find("topic"), partition = doc.find("partition"),
             offset = doc.find("offset"), id = doc.find("_id");
  if (topic == doc.end() || !topic->is_string() || partition == doc.end() ||
      !partition->is_number_integer() || offset == doc.end() || !offset->is_number_integer() ||
      id == doc.end() || !id->is_string()) {
    return std::nullopt;
  }
  return Line{topic->get<std::string>(), partition->get<int32_t>(), offset->get<int64_t>(),
              id->get<std::string>()};
}

// Calls `visit` with every archived line, in the order the lines were written.
Status ForEachLine(const std::string& dir, const std::function<void(const Line&)>& visit) {
  auto files = ArchiveFiles(dir);
  if (!files.ok()) return files.status();
  for (const fs::path& file : *files) {
    std::ifstream in(file);
    if (!in) return Status::Unavailable("read " + file.string());
    for (std::string text; std::getline(in, text);) {
      if (auto line = ParseLine(text)) visit(*line);
    }
  }
  return Status::Ok();
}

// The id at `offset` in `ids` (offsets ascending), if it is there.
std::optional<std::string> Find(const std::deque<std::pair<int64_t, std::string>>& ids,
                                int64_t offset) {
  auto it = std::lower_bound(ids.begin(), ids.end(), offset,
                             [](const auto& entry, int64_t o) { return entry.first < o; });
  if (it == ids.end() || it->first != offset) return std::nullopt;
  return it->second;
}

// Cuts a partial last line left by a crash, so the next append starts clean.
Status TrimTornTail(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (content.empty() || content.back() == '\n') return Status::Ok();
  const size_t keep = content.rfind('\n') == std::string::npos ? 0 : content.rfind('\n') + 1;
  if (truncate(file.c_str(), static_cast<off_t>(keep)) != 0)
    return Errno("truncate " + file.string());
  return Status::Ok();
}

// Lines a crashed process (or a failed write) left in the page cache count as
// on file only once they are durable.
Status SyncFile(const fs::path& file) {
  const int fd = open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Errno("open " + file.string());
  const bool synced = fdatasync(fd) == 0;
  Status s = synced ? Status::Ok() : Errno("fdatasync " + file.string());
  close(fd);
  return s;
}

}  // namespace

Result<std::unique_ptr<FileArchive>> FileArchive::Open(const std::string& dir,
                                                       FileArchiveMemory memory) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Status::Unavailable("audit dir " + dir + ": " + ec.message());
  // One writer per directory: two would each trust marks the other moves.
  // The lock is the kernel's, so a killed writer's lock goes with it.
  const std::string lock_path = dir + "/" + kArchiveLockFile;
  const int lock_fd = open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0640);
  if (lock_fd < 0) return Errno("open " + lock_path);
  if (flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
    const bool held = errno == EWOULDBLOCK;
    Status s = held ? Status::FailedPrecondition("audit dir " + dir +
                                                 " is archived by another process (it holds " +
                                                 lock_path + "): one audit process per directory")
                    : Errno("lock " + lock_path);
    close(lock_fd);
    return s;
  }
  std::unique_ptr<FileArchive> archive(new FileArchive(dir, memory));
  archive->lock_fd_ = lock_fd;
  if (Status s = archive->Scan(); !s.ok()) return s;
  return archive;
}

FileArchive::~FileArchive() {
  if (fd_ >= 0) close(fd_);
  if (lock_fd_ >= 0) close(lock_fd_);  // releases the lock
}

Status FileArchive::Scan() {
  marks_.clear();
  auto files = ArchiveFiles(dir_);
  if (!files.ok()) return files.status();
  for (const fs::path& file : *files) {
    if (Status s = TrimTornTail(file); !s.ok()) return s;
    if (Status s = SyncFile(file); !s.ok()) return s;
  }
  return ForEachLine(dir_, [this](const Line& line) {
    Written(marks_[{line.topic, line.partition}], line.offset, line.archive_id);
  });
}

void FileArchive::Written(Mark& mark, int64_t offset, const std::string& archive_id) {
  // Lines of one incarnation are written with ascending offsets: one at or
  // below the mark is the first of a recreated topic.
  if (offset <= mark.offset) mark = Mark{};
  mark.offset = offset;
  mark.recent.emplace_back(offset, archive_id);
  ++mark.recent_ids[mark.recent.back().second];
  if (mark.recent.size() > memory_.recent_ids) {
    auto counted = mark.recent_ids.find(mark.recent.front().second);
    if (--counted->second == 0) mark.recent_ids.erase(counted);
    mark.recent.pop_front();
  }
}

int64_t FileArchive::HighestOffset(const std::string& topic, int32_t partition) const {
  auto it = marks_.find({topic, partition});
  return it == marks_.end() ? -1 : it->second.offset;
}

Result<bool> FileArchive::OnFile(const AuditRecord& r, Mark& mark) const {
  if (mark.recent_ids.count(r.archive_id)) return true;  // redelivered, or published again
  if (r.offset > mark.offset) return false;
  const bool in_recent = !mark.recent.empty() && r.offset >= mark.recent.front().first;
  if (!in_recent && (r.offset < mark.window_from || r.offset >= mark.window_to)) {
    if (Status s = LoadWindow({r.topic, r.partition}, mark, r.offset); !s.ok()) return s;
  }
  // No line at that offset, or another record's: a recreated topic.
  return Find(in_recent ? mark.recent : mark.window, r.offset) == r.archive_id;
}

Status FileArchive::LoadWindow(const Partition& partition, Mark& mark, int64_t offset) const {
  int64_t to = offset + static_cast<int64_t>(memory_.window_ids);
  if (!mark.recent.empty()) to = std::min(to, mark.recent.front().first);
  Ids window;
  int64_t last = -1;
  Status read = ForEachLine(dir_, [&](const Line& line) {
    if (line.topic != partition.first || line.partition != partition.second) return;
    if (line.offset <= last) window.clear();  // those were an earlier incarnation's
    last = line.offset;
    if (line.offset >= offset && line.offset < to)
      window.emplace_back(line.offset, line.archive_id);
  });
  if (!read.ok()) return read;
  mark.window = std::move(window);
  mark.window_from = offset;
  mark.window_to = to;
  return Status::Ok();
}

Result<int> FileArchive::FileFor(const std::string& day) {
  if (day == open_day_ && fd_ >= 0) return fd_;
  if (fd_ >= 0) close(fd_);
  const std::string path = dir_ + "/events-" + day + ".jsonl";
  const bool existed = access(path.c_str(), F_OK) == 0;
  fd_ = open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd_ < 0) return Errno("open " + path);
  open_day_ = day;
  // A new file's name is durable only once its directory is: without this,
  // power lost after the first fdatasync could drop the whole day's file.
  if (!existed) {
    if (Status s = SyncFile(dir_); !s.ok()) {
      close(fd_);
      fd_ = -1;
      open_day_.clear();
      return s;
    }
  }
  return fd_;
}

Status FileArchive::WriteDurably(const std::string& day, const std::string& lines) {
  auto fd = FileFor(day);
  if (!fd.ok()) return fd.status();
  struct stat before;
  if (fstat(*fd, &before) != 0) return Errno("stat audit file");
  Status s = Status::Ok();
  size_t written = 0;
  while (s.ok() && written < lines.size()) {
    const ssize_t n = write(*fd, lines.data() + written, lines.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) s = Errno("write audit file");
    if (n > 0) written += static_cast<size_t>(n);
  }
  if (s.ok() && fdatasync(*fd) != 0) s = Errno("fdatasync audit file");
  // Cut the lines off again; if that fails too, the next Append reads back
  // (and syncs) what stayed, and counts it as on file.
  if (!s.ok() && ftruncate(*fd, before.st_size) != 0) s = Errno("write, then truncate, audit file");
  return s;
}

Status FileArchive::Append(const std::vector<AuditRecord>& records) {
  if (stale_) {
    if (Status s = Scan(); !s.ok()) return s;
    stale_ = false;
  }
  // One run per day, in the batch's order; a run's records count as on file
  // (in marks_) as they are chosen, so any failure makes the marks stale.
  for (size_t begin = 0, end = 0; begin < records.size(); begin = end) {
    const std::string day = DayOf(records[begin].received_at);
    std::string lines;
    for (end = begin; end < records.size() && DayOf(records[end].received_at) == day; ++end) {
      const AuditRecord& r = records[end];
      Mark& mark = marks_[{r.topic, r.partition}];
      auto on_file = OnFile(r, mark);
      if (!on_file.ok()) {
        stale_ = true;
        return on_file.status();
      }
      if (*on_file) continue;
      Written(mark, r.offset, r.archive_id);
      lines += r.ToJson() + "\n";
    }
    if (lines.empty()) continue;
    if (Status s = WriteDurably(day, lines); !s.ok()) {
      stale_ = true;
      return s;
    }
  }
  return Status::Ok();
}

Result<std::map<std::string, int64_t>> FileArchive::LinesPerId(const std::string& dir,
                                                               const std::string& topic) {
  std::map<std::string, int64_t> lines;
  Status read = ForEachLine(dir, [&](const Line& line) {
    if (line.topic == topic) ++lines[line.archive_id];
  });
  if (!read.ok()) return read;
  return lines;
}

Result<std::vector<std::string>> FileArchive::Trail(const std::string& dir,
                                                    const std::string& booking_id) {
  std::vector<std::pair<std::string, std::string>> found;  // (receivedAt, line)
  auto files = ArchiveFiles(dir);
  if (!files.ok()) return files.status();
  for (const fs::path& file : *files) {
    std::ifstream in(file);
    std::string line;
    while (std::getline(in, line)) {
      json doc = json::parse(line, nullptr, /*allow_exceptions=*/false);
      if (!doc.is_discarded() && doc.value("bookingId", "") == booking_id) {
        found.emplace_back(doc.value("receivedAt", ""), line);
      }
    }
  }
  std::stable_sort(found.begin(), found.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::string> out;
  for (auto& [at, line] : found) out.push_back(std::move(line));
  return out;
}

}  // namespace wanderluxe
