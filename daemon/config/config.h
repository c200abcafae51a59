// Config: the daemon's validated, immutable configuration (errpulse.yaml).
// LoadConfig() reports every mistake as `FILE:LINE:COL: message`; relative
// paths are resolved against the config file's directory.
//
// Value type; built once per (re)load and then only read; thread-compatible.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "alert/alert_rule.h"
#include "common/diagnostic.h"
#include "common/log_format.h"

namespace errpulse {

inline constexpr const char* kDefaultConfigPath = "/etc/errpulse/errpulse.yaml";

// A journal source's selection (`journal:`): which journal, which entries.
struct JournalSelection {
  std::vector<std::string> units;        // _SYSTEMD_UNIT, exact names, OR; empty: any
  std::vector<std::string> identifiers;  // SYSLOG_IDENTIFIER, OR; empty: any
  std::string directory;                 // absolute; empty: the system journal
};

struct SourceConfig {
  std::string name;
  // A source reads files (paths) or the systemd journal (journal), never both.
  std::vector<std::string> paths;  // files or globs, absolute
  std::optional<JournalSelection> journal;
  bool start_at_end = true;        // `start_at: end` (default) or `beginning`
  // How files' bytes become lines (tail/log_format.h); auto decides per file.
  LogFormat format = LogFormat::kAuto;
  // Container logs: count per (namespace, pod, container) too, from each
  // file's name (source/container_labels.h).
  bool kubernetes_labels = false;
  // Names of the extraction rules that apply; empty means all of them.
  std::vector<std::string> rules;
  std::vector<Diagnostic> rule_positions;  // where each name was written
};

struct WebhookConfig {
  std::string name;             // the receiver label, and what logs say (never the URL)
  std::string url;              // may hold a secret (robot key): read from url_file/url_env
  std::string format = "alertmanager";  // alertmanager | wecom | dingtalk | feishu | slack
  std::string ca_file;          // HTTPS: trust these CAs instead of the system's
  // Grouping, as Alertmanager's route (notify/notification_groups.h).
  std::vector<std::string> group_by;  // empty: one group for every alert of the host
  int64_t group_wait_ms = 10'000;
  int64_t group_interval_ms = 5 * 60'000;
  int64_t repeat_interval_ms = 4 * 3600'000;
  // Send budget; -1: the format's default (notify/send_budget.h), 0: none.
  int64_t max_per_minute = -1;
  int64_t max_per_second = -1;
};

struct AlertingConfig {
  std::vector<std::string> alertmanagers;  // http(s)://host:port[/prefix]
  std::vector<WebhookConfig> webhooks;
  int64_t resend_interval_ms = 60'000;
  int64_t evaluation_interval_ms = 1000;
  int64_t timeout_ms = 5000;
  int64_t queue_size = 1000;  // alert batches per receiver
  std::string host;           // the host label; default: this machine's name
};

struct Config {
  std::string file;  // the config file; empty when running on defaults
  std::string listen_host = "127.0.0.1";
  uint16_t listen_port = 9464;
  std::string state_dir = "/var/lib/errpulse";
  // Catalog and rule files after glob expansion; when the config names none,
  // the files shipped with errpulse (see ShippedDataDir()).
  std::vector<std::string> catalog_files;
  std::vector<std::string> rule_files;
  int max_unknown_codes = 100;        // distinct unknown codes per source
  int max_containers = 100;           // kubernetes_labels: containers per source
  int64_t poll_interval_ms = 2000;    // safety-net stat poll
  // Where inotify sees every change (watched directories on local
  // filesystems), the full stat poll runs only this often; never more often
  // than poll_interval.
  int64_t rescan_interval_ms = 30'000;
  int64_t max_line_bytes = 64 * 1024;
  int64_t read_chunk_bytes = 256 * 1024;  // per file per turn: fairness
  // Files kept open at once; idle ones beyond it are closed and reopened
  // when they grow (identity checked again).
  int64_t max_open_files = 4096;
  // Threads that match a big chunk (a backlog): 1 or 2. Small chunks, the
  // steady state, are always matched on the pipeline thread.
  int64_t scan_threads = 2;
  std::string log_level = "info";
  // Counts and offsets are committed at most this often (when they changed),
  // and /metrics shows only committed values.
  int64_t commit_interval_ms = 25;
  // Commits are made durable against power loss (fsync) at most this often
  // (and at shutdown); a process crash loses nothing either way. 0: every
  // commit.
  int64_t sync_interval_ms = 1000;
  // Where to start when the state file is unusable: "end" or "beginning".
  bool corrupt_state_from_end = true;
  std::vector<SourceConfig> sources;
  std::vector<AlertRule> alerts;  // `alerts:` in the config (rule files have more)
  AlertingConfig alerting;
};

// Loads and validates `path`. Returns nullopt when there are errors; every
// error is appended to `diagnostics`.
std::optional<Config> LoadConfig(const std::string& path, Diagnostics* diagnostics);

// Parses config text held in memory; relative paths resolve against `base_dir`.
std::optional<Config> ParseConfig(const std::string& text, const std::string& name,
                                  const std::string& base_dir, Diagnostics* diagnostics);

// A configuration with no sources and the shipped catalog and rules (used by
// `replay` and `explain` when no config file exists).
Config DefaultConfig();

// Where the shipped catalog (data/) and rules (rules/) live: the source tree
// when this binary runs from its build tree, $ERRPULSE_SHARE_DIR when set,
// else the installed share directory.
std::string ShippedDataDir();

// Expands a file name or glob; reports a pattern that matches nothing.
// Returns false (and appends a diagnostic at `where`) on failure.
bool ExpandFiles(const std::string& pattern, const Diagnostic& where,
                 std::vector<std::string>* out, Diagnostics* diagnostics);

}  // namespace errpulse
