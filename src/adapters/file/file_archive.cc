#include "adapters/file/file_archive.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

namespace wanderluxe {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

Status Errno(const std::string& what) {
  return Status::Unavailable(what + ": " + std::strerror(errno));
}

std::vector<fs::path> ArchiveFiles(const std::string& dir) {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("events-", 0) == 0 && entry.path().extension() == ".jsonl") {
      files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());  // names sort by date
  return files;
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

}  // namespace

Result<std::unique_ptr<FileArchive>> FileArchive::Open(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Status::Unavailable("audit dir " + dir + ": " + ec.message());
  std::unique_ptr<FileArchive> archive(new FileArchive(dir));
  if (Status s = archive->Scan(); !s.ok()) return s;
  return archive;
}

FileArchive::~FileArchive() {
  if (fd_ >= 0) close(fd_);
}

Status FileArchive::Scan() {
  for (const fs::path& file : ArchiveFiles(dir_)) {
    if (Status s = TrimTornTail(file); !s.ok()) return s;
    std::ifstream in(file);
    std::string line;
    while (std::getline(in, line)) {
      json doc = json::parse(line, nullptr, /*allow_exceptions=*/false);
      if (doc.is_discarded()) continue;
      int64_t& high = highest_[{doc.value("topic", ""), doc.value("partition", 0)}];
      high = std::max(high, doc.value("offset", int64_t{-1}));
    }
  }
  return Status::Ok();
}

int64_t FileArchive::HighestOffset(const std::string& topic, int32_t partition) const {
  auto it = highest_.find({topic, partition});
  return it == highest_.end() ? -1 : it->second;
}

Result<int> FileArchive::FileFor(const std::string& day) {
  if (day == open_day_ && fd_ >= 0) return fd_;
  if (fd_ >= 0) close(fd_);
  const std::string path = dir_ + "/events-" + day + ".jsonl";
  fd_ = open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd_ < 0) return Errno("open " + path);
  open_day_ = day;
  return fd_;
}

Status FileArchive::Append(const std::vector<AuditRecord>& records) {
  // Group by the day each record was received, skipping what is archived already.
  std::map<std::string, std::string> lines_by_day;
  std::map<std::pair<std::string, int32_t>, int64_t> highest = highest_;
  for (const AuditRecord& r : records) {
    int64_t& high = highest.try_emplace({r.topic, r.partition}, -1).first->second;
    if (r.offset <= high) continue;  // redelivered: on file already
    high = r.offset;
    lines_by_day[r.received_at.substr(0, 10)] += r.ToJson() + "\n";
  }
  for (const auto& [day, lines] : lines_by_day) {
    auto fd = FileFor(day);
    if (!fd.ok()) return fd.status();
    size_t written = 0;
    while (written < lines.size()) {
      const ssize_t n = write(*fd, lines.data() + written, lines.size() - written);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Errno("write audit file");
      written += static_cast<size_t>(n);
    }
    if (fdatasync(*fd) != 0) return Errno("fdatasync audit file");
  }
  highest_ = std::move(highest);  // only once durable
  return Status::Ok();
}

Result<std::vector<std::string>> FileArchive::Trail(const std::string& booking_id) const {
  std::vector<std::pair<std::string, std::string>> found;  // (receivedAt, line)
  for (const fs::path& file : ArchiveFiles(dir_)) {
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
