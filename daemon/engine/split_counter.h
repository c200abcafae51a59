// SplitCounter: CountChunkWith on two cores for big chunks. When the daemon
// has a backlog (a restart after downtime, a burst, start_at: beginning),
// chunks arrive full (read_chunk_bytes) and matching is the bottleneck; the
// second half of such a chunk (cut at a line end) is scanned on a helper
// thread while the calling thread scans the first half. The helper only
// scans: it collects its half's matches, and the caller then counts them and
// hands them to `on_match` in line order, after its own half's. So counts,
// the unknown-code table's order and the alert engine's input are exactly
// what a sequential CountChunkWith gives (the equivalence test checks it).
// Small chunks (the steady state: a few lines per read) stay on the calling
// thread; the helper sleeps on a condition variable and costs nothing.
//
// Ownership: owns the helper thread and its match buffer (grown once to the
// largest half seen, then reused: no allocation per line). One mutex
// hand-off per big chunk, none per line.
// Thread-safety: CountChunk is called from one thread (the pipeline's); the
// helper thread never touches SourceCounts or on_match.
#pragma once

#include <condition_variable>
#include <mutex>
#include <string_view>
#include <thread>
#include <vector>

#include "engine/counting.h"

namespace errpulse {

class SplitCounter {
 public:
  // `threads`: 1 = never split (no helper thread); 2 = split big chunks.
  // `min_split_bytes`: chunks smaller than this are counted on one thread.
  explicit SplitCounter(int threads, size_t min_split_bytes = 64 * 1024);
  ~SplitCounter();
  SplitCounter(const SplitCounter&) = delete;
  SplitCounter& operator=(const SplitCounter&) = delete;

  // Same contract and result as CountChunkWith (counting.h).
  template <typename OnMatch>
  void CountChunk(const LineScanner& scanner, const Catalog& catalog, std::string_view chunk,
                  SourceCounts* counts, OnMatch&& on_match) {
    const size_t cut = helper_.joinable() && chunk.size() >= min_split_bytes_
                           ? CutPoint(chunk, main_share_) : chunk.size();
    if (cut >= chunk.size()) {
      CountChunkWith(scanner, catalog, chunk, counts, on_match);
      return;
    }
    StartHelper(scanner, chunk.substr(cut));
    CountChunkWith(scanner, catalog, chunk.substr(0, cut), counts, on_match);
    WaitForHelper();
    counts->lines += helper_lines_;
    for (Match& match : helper_matches_) {
      match.line_offset += cut;  // offsets are relative to the whole chunk
      on_match(static_cast<const Match&>(match), counts->Record(catalog, match.code));
    }
  }

  bool splitting() const { return helper_.joinable(); }

 private:
  // Just after the first '\n' at or after `share` (in 1/64ths) of the chunk;
  // chunk.size() if none.
  static size_t CutPoint(std::string_view chunk, int share);
  void StartHelper(const LineScanner& scanner, std::string_view half);
  void WaitForHelper();
  void HelperLoop();

  const size_t min_split_bytes_;
  // The calling thread's share of a split chunk, in 1/64ths. It also counts
  // the helper's matches and feeds the alert engine, so an even cut leaves
  // the helper idle part of the time: WaitForHelper moves the cut by 1/64
  // towards whichever side finished first (between 16/64 and 48/64).
  int main_share_ = 32;
  std::mutex mutex_;
  std::condition_variable wake_;
  // Guarded by mutex_:
  const LineScanner* job_scanner_ = nullptr;
  std::string_view job_;
  bool job_pending_ = false;
  bool job_done_ = false;
  bool stopping_ = false;
  // Written by the helper while a job runs, read by the caller after it.
  std::vector<Match> helper_matches_;
  uint64_t helper_lines_ = 0;
  std::thread helper_;  // last: started once the members above exist
};

}  // namespace errpulse
