// Snapshot: everything a restart needs to continue exactly where the last
// commit left off: per source, the counts (so counters continue instead of
// resetting) and the followed files with the offset of the first byte not yet
// counted. Offsets and counts are taken at the same instant on the pipeline
// thread, so together they are consistent: a line is either in both or in
// neither.
//
// On disk: a header line `errpulse-state 1 <fnv64 of the body>` and a JSON
// body. The checksum catches torn writes and bit rot that still parse.
//
// Value types and pure functions; thread-compatible.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "alert/alert_engine.h"
#include "source/file_record.h"
#include "source/source_stats.h"

namespace errpulse {

// One container's counts (sources with kubernetes_labels).
struct ContainerState {
  std::string namespace_name, pod, container;
  uint64_t lines = 0;
  uint64_t successes = 0;
  std::map<int64_t, uint64_t> by_code;  // INT64_MIN: the codes past the per-container cap
};

struct SourceState {
  std::string name;
  uint64_t lines = 0;
  uint64_t errors = 0;
  uint64_t successes = 0;
  uint64_t unknown_total = 0;
  std::map<int64_t, uint64_t> by_code;    // every code with its own series
  std::map<std::string, uint64_t> other;  // folded codes, by range domain
  SourceStats tail;                         // the counters (gauges are not kept)
  std::vector<FileRecord> files;
  std::vector<Fingerprint> known;  // files already read to their end
  // Journal sources: the cursor of the last entry counted ("": none yet).
  std::string journal_cursor;
  std::vector<ContainerState> containers;
  // A commit's snapshot may leave out a source that has not changed since
  // the last commit: only `name` is set then; or hold in by_code and other
  // only the codes whose counts moved since then (codes_partial). Never in
  // a state file.
  bool unchanged = false;
  bool codes_partial = false;
  // Likewise `files` may hold only the files whose records changed, when the
  // set of files did not (files_partial).
  bool files_partial = false;
};

// The status page's errors per minute of the last hour (status/minute_ring.h)
// so its charts survive a restart: per minute, each (source, code) that had
// errors, at most a few hundred, the rest summed.
struct MinuteCountState {
  std::string source;
  std::string code;  // "60007" or "other:<domain>"
  uint64_t count = 0;
};
struct MinuteState {
  int64_t minute = 0;  // wall ms / 60'000
  std::vector<MinuteCountState> counts;
  uint64_t rest = 0;
};

struct Snapshot {
  int64_t written_at_ms = 0;  // wall clock, for the operator's information
  std::vector<SourceState> sources;
  std::vector<AlertInstanceState> alerts;  // alert instances with their windows
  // A commit's snapshot: `alerts` lists only the instances that changed or
  // were dropped since the last commit; the others are as committed.
  bool alerts_partial = false;
  // Written only when set: older state files have none. A commit's snapshot
  // leaves them out (minutes_unchanged) unless a minute was completed since
  // the last commit, so the ring costs a write once a minute at most.
  std::vector<MinuteState> minutes;
  bool minutes_unchanged = false;
};

std::string SerializeSnapshot(const Snapshot& snapshot);

// Parses a state file's content. Returns "" on success, else what is wrong
// (e.g. "checksum mismatch", "not an errpulse state file", "field 'x': ...").
std::string ParseSnapshot(std::string_view text, Snapshot* out);

}  // namespace errpulse
