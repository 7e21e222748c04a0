#include "wanderluxe/offset_tracker.h"

#include "wanderluxe/check.h"

namespace wanderluxe {

void OffsetTracker::Dispatched(int64_t offset) {
  WL_CHECK(offset >= next_, "kWatermark: offsets are dispatched in order");
  pending_.insert(offset);
  next_ = offset + 1;
}

void OffsetTracker::Done(int64_t offset) { pending_.erase(offset); }

std::optional<int64_t> OffsetTracker::CommitPoint() const {
  if (next_ < 0) return std::nullopt;
  // Gaps between offsets (transaction markers, compaction) are skipped: only
  // dispatched offsets can hold the watermark back.
  return pending_.empty() ? next_ : *pending_.begin();
}

}  // namespace wanderluxe
