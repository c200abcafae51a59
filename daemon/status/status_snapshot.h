// StatusSnapshot: what the status page (/) and /api/v1/status show, taken by
// the pipeline thread at most once a second from data it already keeps
// (counts, tail statistics, followed files, alerts) and then never changed.
// The HTTP thread renders it; nothing here is computed per line.
//
// ServerInfo: what the HTTP side adds (the bound address, the process start),
// which outlives any one pipeline (a reload replaces the pipeline).
//
// Value types; an immutable snapshot is safe to read from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "classify/catalog.h"
#include "status/code_history.h"
#include "source/source_stats.h"

namespace errpulse {

struct FileStatus {
  std::string path;
  uint64_t offset = 0;  // bytes read
  uint64_t size = 0;    // size when last looked at
  bool rotated = false; // rotated away, being read to its end
  bool parked = false;  // closed for max_open_files
  std::string format;   // as decided (format: auto), e.g. "clog"; "auto" until then
  uint64_t lag() const { return size > offset ? size - offset : 0; }
};

struct SourceStatus {
  std::string name;
  std::vector<std::string> patterns;  // the configured paths and globs
  std::vector<FileStatus> files;
  uint64_t lines = 0;
  uint64_t errors = 0;
  uint64_t successes = 0;
  SourceStats tail;  // counters since the state began; files_open and lag_bytes now
};

// Errors of one code (or of the codes folded into "other:<domain>") over a period.
struct CodeCount {
  std::string code;  // "60007", or "other:rest_common" for folded codes
  bool known = false;  // in the catalog
  std::string name;    // the catalog's official name ("" when not known)
  std::string domain;
  std::string category;
  std::string severity;
  std::string meaning;  // meaning_en
  std::string action;
  uint64_t count = 0;
  // Errors in each of the last hour's minutes, oldest first, the current
  // minute (so far) last: StatusSnapshot::per_minute_last (minute_series.h).
  std::vector<uint64_t> per_minute;
};

// The top codes of one recent window.
struct RecentCodes {
  int64_t window_ms = 0;   // the window asked for (5 or 15 minutes)
  int64_t covered_ms = 0;  // how far back the history reached (less just after a start)
  uint64_t errors = 0;     // all errors in it
  std::vector<CodeCount> top;  // most frequent first
};

// Errors of one domain: recent windows, since this pipeline started, all time.
struct DomainCount {
  std::string domain;
  std::vector<uint64_t> recent;  // one per StatusSnapshot::domain_windows_ms
  uint64_t since_start = 0;
  uint64_t total = 0;  // the counters (kept across restarts by the state file)
};

struct AlertStatus {
  std::string alertname;
  std::string state;  // pending | firing
  std::map<std::string, std::string> labels;  // without alertname
  std::map<std::string, std::string> annotations;
  int64_t since_ms = 0;  // pending (or firing) since
  uint64_t count = 0;    // errors in the rule's window
  std::vector<uint64_t> per_minute;  // the errors it counts, per minute (as CodeCount's)
  std::string inhibited_by;  // the firing rule holding its notification back, or ""
};

struct StatusSnapshot {
  int64_t taken_at_ms = 0;
  int64_t counting_since_ms = 0;  // when this pipeline started (the "since start" base)
  std::string host;
  std::string config_file;
  std::string state_dir;
  int64_t last_commit_ms = 0;  // 0: none yet
  bool commit_failing = false;
  size_t alert_rules = 0;
  std::vector<AlertStatus> alerts;  // firing first, then pending; oldest first
  std::vector<SourceStatus> sources;
  std::vector<int64_t> domain_windows_ms;  // 1, 5, 15 minutes
  std::vector<DomainCount> domains;        // every domain with errors, most total first
  std::vector<RecentCodes> recent;         // 5 and 15 minutes
  int64_t per_minute_last = 0;  // the minute (wall ms / 60'000) of every per_minute's last point
};

// Summaries of CodeTotals (pure functions):
// The `limit` most frequent codes of `delta`, classified by the catalog
// (codes it does not list by their range), most frequent first, ties by code.
RecentCodes TopCodes(const Catalog& catalog, const CodeTotals& delta, size_t limit);
// Errors per domain of `totals`.
std::map<std::string, uint64_t> ErrorsByDomain(const Catalog& catalog, const CodeTotals& totals);

struct ServerInfo {
  std::string listen;       // HOST:PORT actually bound
  int64_t started_ms = 0;   // when the process started (wall clock)
};

}  // namespace errpulse
