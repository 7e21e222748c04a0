// The contiguous watermark of one partition (DESIGN.md "Processor"). Workers finish
// messages in any order; the commit point is the lowest offset not yet done,
// so a crash never loses a message that was still running when a later one
// finished (kNeverCommitPastUnfinished).
//
// Thread safety: none; the owner serialises every call (the processor holds
// its mutex).
#ifndef WANDERLUXE_OFFSET_TRACKER_H_
#define WANDERLUXE_OFFSET_TRACKER_H_

#include <cstdint>
#include <optional>
#include <set>

namespace wanderluxe {

class OffsetTracker {
 public:
  // Offsets are dispatched in increasing order (one poll thread per partition).
  void Dispatched(int64_t offset);
  void Done(int64_t offset);

  // The offset to commit (the next one to read), or nothing when nothing was
  // dispatched yet. Every offset below it is done.
  std::optional<int64_t> CommitPoint() const;
  size_t pending() const { return pending_.size(); }

 private:
  std::set<int64_t> pending_;  // dispatched, not done
  int64_t next_ = -1;          // one past the highest dispatched offset
};

}  // namespace wanderluxe

#endif  // WANDERLUXE_OFFSET_TRACKER_H_
