#include <doctest/doctest.h>

#include <algorithm>
#include <numeric>
#include <random>
#include <vector>

#include "wanderluxe/offset_tracker.h"

namespace wanderluxe {
namespace {

TEST_SUITE("unit.offset_tracker") {
  TEST_CASE("nothing dispatched, nothing to commit") {
    OffsetTracker t;
    CHECK_FALSE(t.CommitPoint().has_value());
  }

  TEST_CASE("a later message finishing first does not move the watermark past an earlier one") {
    OffsetTracker t;
    for (int64_t o = 5; o <= 10; ++o) t.Dispatched(o);
    t.Done(10);
    CHECK(t.CommitPoint() == 5);
    t.Done(5);
    CHECK(t.CommitPoint() == 6);
    for (int64_t o = 6; o <= 9; ++o) t.Done(o);
    CHECK(t.CommitPoint() == 11);
  }

  TEST_CASE("property: thousands of random completion orders never commit an unfinished offset") {
    std::mt19937_64 rng(20261124);
    for (int round = 0; round < 2000; ++round) {
      OffsetTracker t;
      const int n = 1 + static_cast<int>(rng() % 64);
      std::vector<int64_t> offsets;
      int64_t o = static_cast<int64_t>(rng() % 1000);
      for (int i = 0; i < n; ++i) {
        o += 1 + static_cast<int64_t>(rng() % 3);  // gaps, as compaction leaves
        offsets.push_back(o);
      }
      std::vector<int64_t> order = offsets;
      std::shuffle(order.begin(), order.end(), rng);
      std::vector<bool> done(offsets.size(), false);
      size_t dispatched = 0;
      for (int64_t finished : order) {
        // Dispatch lazily, interleaved with completions, as the poll thread does.
        const size_t index = std::find(offsets.begin(), offsets.end(), finished) - offsets.begin();
        while (dispatched <= index) t.Dispatched(offsets[dispatched++]);
        t.Done(finished);
        done[index] = true;
        const int64_t commit = *t.CommitPoint();
        for (size_t i = 0; i < offsets.size(); ++i) {
          if (offsets[i] < commit) REQUIRE_MESSAGE((i < dispatched && done[i]), "round ", round);
        }
        // And the watermark is as high as it may be: the first undone dispatched offset.
        size_t first_undone = 0;
        while (first_undone < dispatched && done[first_undone]) ++first_undone;
        const int64_t expected =
            first_undone < dispatched ? offsets[first_undone] : offsets[dispatched - 1] + 1;
        REQUIRE(commit == expected);
      }
      CHECK(t.CommitPoint() == offsets.back() + 1);
      CHECK(t.pending() == 0);
    }
  }
}

}  // namespace
}  // namespace wanderluxe
