#include "engine/pipeline.h"

#include <spdlog/spdlog.h>

#include <unistd.h>

#include <chrono>

#include "common/time_format.h"
#include "engine/counting.h"
#include "engine/counts_state.h"
#include "engine/log_sources.h"

namespace errpulse {
namespace {

std::vector<std::string> SourceNames(const Config& config) {
  std::vector<std::string> names;
  for (const auto& s : config.sources) names.push_back(s.name);
  return names;
}

// The status page's per-minute ring (MinuteCounts) to and from the state
// file (MinuteState), both ways: the same fields, since status/ sits beside
// state/, not above it.
template <typename To, typename From>
std::vector<To> ConvertMinutes(const std::vector<From>& minutes) {
  std::vector<To> out;
  for (const auto& m : minutes) {
    out.push_back({m.minute, {}, m.rest});
    for (const auto& c : m.counts) out.back().counts.push_back({c.source, c.code, c.count});
  }
  return out;
}

}  // namespace

Pipeline::Pipeline(boost::asio::io_context& io, std::shared_ptr<const Setup> setup)
    : setup_(std::move(setup)),
      counts_(setup_->config.sources.size(),
              SourceCounts(setup_->catalog->size(), setup_->config.max_unknown_codes)),
      containers_(setup_->config.sources.size(),
                  ContainerCounts(static_cast<size_t>(setup_->config.max_containers))),
      split_counter_(static_cast<int>(setup_->config.scan_threads)),
      exporter_(setup_->catalog, SourceNames(setup_->config)),
      sources_(MakeLogSources(
          io, setup_->config,
          [this](size_t source, std::string_view lines, const ChunkMeta& meta) {
            OnChunk(source, lines, meta);
          },
          [this] { OnRoundDone(); })),
      store_(setup_->config.state_dir),
      commit_timer_(io),
      sync_timer_(io),
      evaluation_timer_(io),
      // The config shared with the Setup's ownership (aliasing constructor).
      status_(setup_->catalog, std::shared_ptr<const Config>(setup_, &setup_->config)),
      status_timer_(io) {
  committed_counts_ = counts_;
  if (setup_->alerts.empty()) return;
  const AlertingConfig& alerting = setup_->config.alerting;
  std::vector<Destination> destinations;
  const size_t queue = static_cast<size_t>(alerting.queue_size);
  for (const auto& url : alerting.alertmanagers) {
    HttpUrl parsed;
    if (!ParseHttpUrl(url, &parsed)) continue;  // the config loader reported it
    destinations.push_back({std::make_unique<Receiver>(url, parsed, "/api/v2/alerts", queue,
                                                       alerting.timeout_ms),
                            PayloadFormat::kAlertmanagerApi, nullptr});
  }
  for (const auto& hook : alerting.webhooks) {
    HttpUrl parsed;
    PayloadFormat format;
    if (!ParseHttpUrl(hook.url, &parsed) || !ParseWebhookFormat(hook.format, &format)) continue;
    SendLimits limits = DefaultSendLimits(format);
    if (hook.max_per_minute >= 0) limits.per_minute = hook.max_per_minute;
    if (hook.max_per_second >= 0) limits.per_second = hook.max_per_second;
    GroupingConfig grouping{hook.group_by, hook.group_wait_ms, hook.group_interval_ms,
                            hook.repeat_interval_ms};
    destinations.push_back({std::make_unique<Receiver>(hook.name, parsed, "", queue,
                                                       alerting.timeout_ms, hook.ca_file, format,
                                                       limits),
                            format, std::make_unique<NotificationGroups>(std::move(grouping))});
  }
  std::string host = alerting.host;
  if (host.empty()) {
    char name[256] = {};
    ::gethostname(name, sizeof(name) - 1);
    host = name;
  }
  alerting_ = std::make_unique<AlertDispatcher>(setup_->alerts, setup_->catalog, host,
                                                alerting.resend_interval_ms, std::move(destinations));
}

std::string Pipeline::Start(const Snapshot* handed_over) {
  if (std::string error = store_.Open(); !error.empty()) return error;
  std::vector<SourceStart> starts = Restore(handed_over);
  // The restored values were committed by the last run.
  PublishCommitted(/*changed_only=*/false, LookAtSources());
  sources_.Start(starts);
  committed_signature_ = ChangeSignature();
  // Records the files as opened now (start_at: end offsets), and gives the
  // journal a fresh state file to continue.
  Commit(CommitKind::kFull);
  if (alerting_) {
    EvaluateAlerts();
    ScheduleEvaluation();
  }
  RefreshStatus();
  ScheduleStatus();
  ready_ = true;
  return "";
}

std::vector<SourceStart> Pipeline::Restore(const Snapshot* handed_over) {
  if (handed_over) return ResumeFrom(*handed_over);
  const Config& config = setup_->config;
  std::vector<SourceStart> starts(config.sources.size());
  Snapshot snapshot;
  std::string problem;
  switch (store_.Load(&snapshot, &problem)) {
    case StateStore::LoadResult::kNone:
      spdlog::info("no state in {} yet: a first start; files begin per start_at",
                   config.state_dir);
      return starts;
    case StateStore::LoadResult::kUnusable:
      spdlog::error("state file {} is unusable: {}. Counters restart at 0 and files are read "
                    "from their {} (on_corrupt_state)",
                    store_.path(), problem, config.corrupt_state_from_end ? "end" : "beginning");
      for (auto& start : starts)
        start.mode = config.corrupt_state_from_end ? SourceStart::Mode::kEnd
                                                   : SourceStart::Mode::kBeginning;
      return starts;
    case StateStore::LoadResult::kLoaded:
      break;
  }
  if (!store_.load_note().empty()) spdlog::warn("state journal {}", store_.load_note());
  const size_t sources = snapshot.sources.size(), alerts = snapshot.alerts.size();
  std::vector<SourceStart> resumed = ResumeFrom(std::move(snapshot));
  size_t files = 0;
  for (const auto& start : resumed) files += start.checkpoint.files.size();
  spdlog::info("restored state from {}: {} source(s), {} file(s), {} alert instance(s)",
               store_.path(), sources, files, alerts);
  return resumed;
}

// Sources are matched by name, so a reload or a restart with sources added,
// removed or reordered keeps every remaining source's counts and offsets.
std::vector<SourceStart> Pipeline::ResumeFrom(Snapshot snapshot) {
  const Config& config = setup_->config;
  std::vector<SourceStart> starts(config.sources.size());
  for (auto& saved : snapshot.sources) {
    size_t s = 0;
    while (s < config.sources.size() && config.sources[s].name != saved.name) ++s;
    if (s == config.sources.size()) {
      spdlog::warn("state has source '{}', which the config no longer has: its counts are "
                   "dropped", saved.name);
      continue;
    }
    RestoreCounts(*setup_->catalog, saved, &counts_[s]);
    RestoreContainers(saved, &containers_[s]);
    sources_.For(s).RestoreStats(s, saved.tail);
    starts[s].mode = SourceStart::Mode::kResume;
    starts[s].checkpoint.files = std::move(saved.files);
    starts[s].checkpoint.known = std::move(saved.known);
    starts[s].checkpoint.cursor = std::move(saved.journal_cursor);
    starts[s].committed_at_ms = snapshot.written_at_ms;
  }
  if (alerting_) alerting_->Import(snapshot.alerts);
  status_.RestoreMinutes(ConvertMinutes<MinuteCounts>(snapshot.minutes));  // a reload keeps its own
  return starts;
}

Snapshot Pipeline::Stop() {
  ready_ = false;
  sources_.Stop();
  commit_timer_.cancel();
  sync_timer_.cancel();
  evaluation_timer_.cancel();
  status_timer_.cancel();
  stopping_ = true;  // no sync timer from here on
  Snapshot last = Commit(CommitKind::kFull);
  // The state file could not be written: what the journal holds is still
  // good; make it durable at least.
  if (commit_failing_) store_.Sync();
  store_.Close();
  return last;
}

Pipeline::Summary Pipeline::Summarize() const {
  Summary summary;
  for (size_t s = 0; s < counts_.size(); ++s) {
    const SourceStats& stats = sources_.For(s).Stats(s);
    summary.files_open += stats.files_open;
    summary.lag_bytes += stats.lag_bytes;
    summary.lines += counts_[s].lines;
    summary.errors += counts_[s].errors;
  }
  return summary;
}

void Pipeline::ScheduleEvaluation() {
  evaluation_timer_.expires_after(
      std::chrono::milliseconds(setup_->config.alerting.evaluation_interval_ms));
  evaluation_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    EvaluateAlerts();
    ScheduleEvaluation();
  });
}

void Pipeline::EvaluateAlerts() {
  alert_events_pending_ = false;
  last_evaluation_ = std::chrono::steady_clock::now();
  alerting_->Tick(WallClockMs());
  // Idle: no transition, no delivery and nothing pending or firing since the last tick,
  // so the gauges and /api/v1/alerts are what they were (and an idle daemon
  // does not rebuild them every second).
  uint64_t generation = alerting_->generation();
  for (const auto& d : alerting_->destinations()) {  // deliveries move the receiver metrics
    const Receiver& r = *d.receiver;
    generation += r.sent() + r.failed() + r.rejected() + r.throttled() + r.dropped() +
                  r.queue_length();
  }
  if (generation == alerts_published_generation_ && !alerts_active_ && !alerts_json_.empty())
    return;
  // Only active alerts' counts moved (the evaluations that new errors bring
  // forward, up to ten a second): the gauges and /api/v1/alerts are
  // refreshed once per evaluation_interval, transitions at once.
  const int64_t now_ms = WallClockMs();
  if (generation == alerts_published_generation_ &&
      now_ms - alerts_published_ms_ < setup_->config.alerting.evaluation_interval_ms)
    return;
  alerts_published_generation_ = generation;
  alerts_published_ms_ = now_ms;
  const auto states = alerting_->StateCounts();
  alerts_active_ = false;
  for (const auto& [key, n] : states) alerts_active_ = alerts_active_ || n > 0;
  exporter_.PublishAlerts(states);
  for (const auto& d : alerting_->destinations()) {
    const Receiver& r = *d.receiver;
    exporter_.PublishReceiver(r.name(), r.sent(), r.failed(), r.rejected(), r.throttled(),
                              r.dropped(), r.queue_length());
  }
  std::string json = alerting_->AlertsJson();
  std::lock_guard<std::mutex> lock(alerts_json_mutex_);
  alerts_json_ = std::move(json);
}

std::string Pipeline::AlertsJson() const {
  std::lock_guard<std::mutex> lock(alerts_json_mutex_);
  if (alerts_json_.empty()) return R"({"status":"success","data":{"alerts":[]}})";
  return alerts_json_;
}

void Pipeline::OnChunk(size_t source, std::string_view lines, const ChunkMeta& meta) {
  SourceCounts* counts = &counts_[source];
  // A container log (kubernetes_labels): its container's tally too, found
  // once per chunk.
  ContainerTally* tally = meta.labels ? containers_[source].Find(*meta.labels) : nullptr;
  const uint64_t lines_before = counts->lines;
  if (!alerting_ && !tally) {
    split_counter_.CountChunk(*setup_->scanners[source], *setup_->catalog, lines, counts,
                              [](const Match&, const CatalogEntry*) {});
    return;
  }
  const int64_t now = alerting_ ? WallClockMs() : 0;
  const std::string& name = setup_->config.sources[source].name;
  split_counter_.CountChunk(*setup_->scanners[source], *setup_->catalog, lines, counts,
                            [&](const Match& match, const CatalogEntry* entry) {
                              if (tally) tally->Record(match.code);
                              if (!alerting_) return;
                              // The envelope's time (cri, docker), else -1: the line's own.
                              alerting_->Observe(name, match, entry, now,
                                                 meta.times.At(match.line_offset));
                              alert_events_pending_ = true;
                            });
  if (tally) tally->lines += counts->lines - lines_before;
}

namespace {

// The sum of a source's counters (not the gauges): each only grows.
uint64_t CounterSum(const SourceStats& t) {
  uint64_t sum = t.bytes_read + t.read_errors + t.lines_cut + t.rotations + t.truncations +
                 t.files_lost + t.encrypted_blocks + t.seq_gaps;
  for (uint64_t n : t.decode_errors) sum += n;
  return sum;
}

}  // namespace

uint64_t Pipeline::ChangeSignature() const {
  // Every committed quantity only grows, except offsets after a truncation,
  // which also bumps `truncations`: the sum changes whenever anything does.
  // A completed minute of the status page's ring is worth a commit too.
  uint64_t signature = sources_.generation() + (alerting_ ? alerting_->generation() : 0) +
                       status_.minutes().generation();
  for (size_t s = 0; s < counts_.size(); ++s)
    signature += counts_[s].lines + CounterSum(sources_.For(s).Stats(s));
  return signature;
}

void Pipeline::OnRoundDone() {
  for (size_t s = 0; s < counts_.size(); ++s)
    exporter_.PublishSourceGauges(s, sources_.For(s).Stats(s));
  // New errors: evaluate now rather than at the next tick, so a page leaves
  // within a read round of the surge (at most every 100 ms).
  if (alert_events_pending_ &&
      std::chrono::steady_clock::now() - last_evaluation_ >= std::chrono::milliseconds(100))
    EvaluateAlerts();
  if (commit_scheduled_ || ChangeSignature() == committed_signature_) return;
  const auto interval = std::chrono::milliseconds(setup_->config.commit_interval_ms);
  const auto due = last_commit_ + interval;
  // Read rounds come once per commit_interval too: a round a little early
  // (timer slack) commits now rather than arming a timer for the rest.
  if (std::chrono::steady_clock::now() + interval / 5 >= due) {
    Commit(CommitKind::kAppend);
    return;
  }
  commit_scheduled_ = true;
  commit_timer_.expires_at(due);
  commit_timer_.async_wait([this](const boost::system::error_code& ec) {
    commit_scheduled_ = false;
    if (!ec) Commit(CommitKind::kAppend);
  });
}

std::vector<Pipeline::SourceLook> Pipeline::LookAtSources() const {
  std::vector<SourceLook> looks(counts_.size());
  for (size_t s = 0; s < counts_.size(); ++s) {
    looks[s].stats = CommittedStats(s);
    looks[s].signature = SourceSignature(s, looks[s].stats);
  }
  return looks;
}

uint64_t Pipeline::SourceSignature(size_t s, const SourceStats& t) const {
  // Every quantity here only grows (offsets reset by a truncation bump
  // `truncations`), so the sum moves whenever one of them does.
  const SourceCounts& c = counts_[s];
  return sources_.generation() + c.lines + c.errors + c.successes + c.unknown_total +
         CounterSum(t) + sources_.For(s).CheckpointSignature(s);
}

Snapshot Pipeline::TakeSnapshot(bool incremental, const std::vector<SourceLook>& looks) const {
  Snapshot snapshot;
  snapshot.written_at_ms = WallClockMs();
  const Config& config = setup_->config;
  for (size_t s = 0; s < counts_.size(); ++s) {
    SourceState state;
    state.name = config.sources[s].name;
    if (incremental && s < committed_sources_.size() &&
        committed_sources_[s] == looks[s].signature) {
      state.unchanged = true;
      snapshot.sources.push_back(std::move(state));
      continue;
    }
    SaveCounts(*setup_->catalog, counts_[s], &state,
               incremental ? &committed_counts_[s] : nullptr);
    SaveContainers(containers_[s], &state);
    state.tail = looks[s].stats;
    // While no file was opened, retired or let go, only files that moved.
    SourceCheckpoint checkpoint = sources_.For(s).TakeCheckpoint(
        s, /*only_changed=*/incremental && sources_.generation() == committed_generation_);
    state.files_partial = checkpoint.files_partial;
    state.files = std::move(checkpoint.files);
    state.known = std::move(checkpoint.known);
    state.journal_cursor = std::move(checkpoint.cursor);
    snapshot.sources.push_back(std::move(state));
  }
  if (alerting_) {
    snapshot.alerts = incremental ? alerting_->ExportChanges() : alerting_->Export();
    snapshot.alerts_partial = incremental;
  }
  // The status page's per-minute ring: only when a minute was completed since
  // the last commit (the journal keeps it otherwise); a full commit takes the
  // minute in progress too, so a clean stop and start loses none of it.
  if (incremental && status_.minutes().generation() == committed_minutes_) {
    snapshot.minutes_unchanged = true;
  } else {
    snapshot.minutes =
        ConvertMinutes<MinuteState>(status_.minutes().Saved(/*with_current=*/!incremental));
  }
  return snapshot;
}

Snapshot Pipeline::Commit(CommitKind kind) {
  // A journal that cannot take an append (none yet, or an append failed)
  // gets the whole state instead.
  if (!store_.CanAppend()) kind = CommitKind::kFull;
  const std::vector<SourceLook> looks = LookAtSources();
  const uint64_t alert_clock = alerting_ ? alerting_->change_clock() : 0;
  const uint64_t minutes_generation = status_.minutes().generation();
  Snapshot snapshot = TakeSnapshot(/*incremental=*/kind == CommitKind::kAppend, looks);
  last_commit_ = std::chrono::steady_clock::now();
  committed_signature_ = ChangeSignature();
  const std::string error =
      kind == CommitKind::kFull ? store_.Commit(snapshot) : store_.Append(snapshot);
  if (error.empty()) {
    if (kind == CommitKind::kFull)
      exporter_.StateDurable(static_cast<double>(snapshot.written_at_ms) / 1000.0);
    exporter_.JournalSize(store_.journal_bytes());
    const bool had = committed_sources_.size() == counts_.size();
    committed_sources_.resize(counts_.size());
    for (size_t s = 0; s < counts_.size(); ++s) {
      if (had && committed_sources_[s] == looks[s].signature) continue;  // a stub
      committed_sources_[s] = looks[s].signature;
      committed_counts_[s] = counts_[s];
      sources_.For(s).MarkCommitted(s);
    }
    committed_generation_ = sources_.generation();
    if (alerting_) alerting_->MarkCommitted(alert_clock);
    committed_minutes_ = minutes_generation;
    if (kind == CommitKind::kFull) last_sync_ = last_commit_;
  }
  NoteCommitResult(error, snapshot.written_at_ms);
  PublishCommitted(/*changed_only=*/true, looks);
  ScheduleSync();
  return snapshot;
}

void Pipeline::NoteCommitResult(const std::string& error, int64_t written_at_ms) {
  if (!error.empty()) {
    exporter_.CommitFailed();
    if (!commit_failing_)
      spdlog::error("cannot commit state: {}. Counting goes on and /metrics keeps moving, but "
                    "until a commit succeeds a crash would re-count lines since the last one",
                    error);
    commit_failing_ = true;
    return;
  }
  if (commit_failing_) spdlog::info("state commits succeed again");
  commit_failing_ = false;
  exporter_.CommitSucceeded(static_cast<double>(written_at_ms) / 1000.0);
  last_commit_wall_ms_ = written_at_ms;
  const std::string& problem = store_.journal_problem();
  if (!problem.empty() && problem != journal_problem_logged_)
    spdlog::warn("state journal unusable ({}): commits write the whole state file instead",
                 problem);
  journal_problem_logged_ = problem;
}

void Pipeline::ScheduleSync() {
  if (stopping_ || sync_scheduled_ || !store_.needs_sync()) return;
  const auto due =
      last_sync_ + std::chrono::milliseconds(setup_->config.sync_interval_ms);
  if (std::chrono::steady_clock::now() >= due) {
    SyncState();
    return;
  }
  sync_scheduled_ = true;
  sync_timer_.expires_at(due);
  sync_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;  // cancelled: stopped (the Pipeline may be gone)
    sync_scheduled_ = false;
    SyncState();
  });
}

void Pipeline::SyncState() {
  last_sync_ = std::chrono::steady_clock::now();
  // A grown journal: write the state in full instead (durable too), and
  // leave the next sync a whole interval later, so that compaction's two
  // fsyncs keep within one per sync_interval on average.
  if (store_.ShouldCompact()) {
    Commit(CommitKind::kFull);
    if (!commit_failing_) {
      last_sync_ += std::chrono::milliseconds(setup_->config.sync_interval_ms);
      return;
    }
    // The state file could not be written (no inode, no room for it): the
    // journal still holds every commit; sync it as usual.
  }
  const std::string error = store_.Sync();
  if (error.empty()) exporter_.StateDurable(static_cast<double>(WallClockMs()) / 1000.0);
  if (!error.empty() && !sync_failing_)
    spdlog::error("cannot make the state durable: {}. A process crash still loses nothing; "
                  "a power loss would re-count lines since the last good sync",
                  error);
  if (error.empty() && sync_failing_) spdlog::info("state syncs succeed again");
  sync_failing_ = !error.empty();
}

SourceStats Pipeline::CommittedStats(size_t source) const {
  const LogSource& reader = sources_.For(source);
  SourceStats stats = reader.Stats(source);
  stats.bytes_read -= reader.PendingBytes(source);  // read again after a restart
  return stats;
}

void Pipeline::PublishCommitted(bool changed_only, const std::vector<SourceLook>& looks) {
  published_sources_.resize(counts_.size(), 0);
  for (size_t s = 0; s < counts_.size(); ++s) {
    if (changed_only && published_sources_[s] == looks[s].signature) continue;
    published_sources_[s] = looks[s].signature;
    exporter_.Publish(s, counts_[s]);
    if (!containers_[s].tallies().empty()) exporter_.PublishContainers(s, containers_[s]);
    exporter_.PublishSourceCounters(s, looks[s].stats);
    exporter_.PublishSourceGauges(s, sources_.For(s).Stats(s));
  }
}

void Pipeline::ScheduleStatus() {
  status_timer_.expires_after(std::chrono::seconds(1));
  status_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    RefreshStatus();
    ScheduleStatus();
  });
}

void Pipeline::RefreshStatus() {
  // Idle: nothing counted, read, rotated or alerted since the last snapshot.
  // Then a fresh one every 5 s is enough (the page flags data older than 15 s
  // as a stuck pipeline), which keeps an idle daemon's CPU near zero.
  const uint64_t signature = ChangeSignature();
  const int64_t now = WallClockMs();
  if (signature == status_signature_ && now - status_refreshed_ms_ < 5'000) return;
  status_signature_ = signature;
  status_refreshed_ms_ = now;
  status_.Refresh({counts_, sources_, alerting_.get(), last_commit_wall_ms_, commit_failing_},
                  now);
}

}  // namespace errpulse
