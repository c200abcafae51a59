#include "metrics/exporter.h"

#include "metrics/text_exposition.h"

#include "build_info.h"

namespace errpulse {
namespace {

using prometheus::BuildCounter;
using prometheus::BuildGauge;

// Raises `counter` to `value`, for the few counters without a
// PublishedCounter (receivers'). Only the pipeline thread increments our
// counters, so the difference is exact (doubles hold integers up to 2^53).
void Sync(prometheus::Counter* counter, uint64_t value) {
  const double delta = static_cast<double>(value) - counter->Value();
  if (delta > 0) counter->Increment(delta);
}

}  // namespace

Exporter::Exporter(std::shared_ptr<const Catalog> catalog,
                   const std::vector<std::string>& sources)
    : catalog_(std::move(catalog)), registry_(std::make_shared<prometheus::Registry>()) {
  auto& r = *registry_;
  errors_ = &BuildCounter()
                 .Name("errpulse_errors_total")
                 .Help("Log lines that reported an error code, by source and code.")
                 .Register(r);
  container_lines_ = &BuildCounter().Name("errpulse_container_lines_total")
                          .Help("Log lines read, by source and Kubernetes container (sources "
                                "with kubernetes_labels; past max_containers: \"other\").")
                          .Register(r);
  container_errors_ = &BuildCounter().Name("errpulse_container_errors_total")
                           .Help("Log lines that reported an error code, by source, Kubernetes "
                                 "container and code (sources with kubernetes_labels).")
                           .Register(r);
  auto& lines = BuildCounter().Name("errpulse_lines_total")
                    .Help("Log lines read, by source.").Register(r);
  auto& successes = BuildCounter().Name("errpulse_successes_total")
                        .Help("Log lines that reported code 0 (success), by source.")
                        .Register(r);
  auto& unknown = BuildCounter().Name("errpulse_unknown_codes_total")
                      .Help("Error lines whose code the catalog does not list, by source.")
                      .Register(r);
  auto& bytes = BuildCounter().Name("errpulse_read_bytes_total")
                    .Help("Bytes read from log files, by source.").Register(r);
  auto& read_errors = BuildCounter().Name("errpulse_read_errors_total")
                          .Help("Failures to open, stat or read a log file, by source.")
                          .Register(r);
  auto& cut = BuildCounter().Name("errpulse_lines_cut_total")
                  .Help("Lines longer than max_line_bytes, cut to that length.").Register(r);
  auto& rotations = BuildCounter().Name("errpulse_file_rotations_total")
                        .Help("Times a tailed path was found to name a new file.")
                        .Register(r);
  auto& truncations = BuildCounter().Name("errpulse_file_truncations_total")
                          .Help("Times a tailed file was found truncated.").Register(r);
  auto& files_lost = BuildCounter().Name("errpulse_files_lost_total")
                         .Help("Files gone before they were read to the end (deleted, or rotated "
                               "and compressed while errpulse was stopped).")
                         .Register(r);
  auto& decode_errors = BuildCounter().Name("errpulse_decode_errors_total")
                            .Help("Damaged stretches in compressed SDK logs or container logs "
                                  "(skipped to the next point decoding can resume), by source "
                                  "and format.")
                            .Register(r);
  auto& encrypted = BuildCounter().Name("errpulse_xlog_encrypted_blocks_total")
                        .Help("Encrypted .xlog blocks skipped (errpulse has no key), by source.")
                        .Register(r);
  auto& seq_gaps = BuildCounter().Name("errpulse_xlog_seq_gaps_total")
                       .Help("Jumps in .xlog block sequence numbers (blocks the writer lost), "
                             "by source.")
                       .Register(r);
  last_commit_ = &BuildGauge().Name("errpulse_state_last_commit_timestamp_seconds")
                      .Help("When counts and offsets were last committed.")
                      .Register(r).Add({});
  commits_ = &BuildCounter().Name("errpulse_state_commits_total")
                  .Help("Commits of counts and offsets (journal appends and full state files).")
                  .Register(r).Add({});
  last_sync_ = &BuildGauge().Name("errpulse_state_last_sync_timestamp_seconds")
                    .Help("When the commits were last made durable against power loss (fsync).")
                    .Register(r).Add({});
  journal_bytes_ = &BuildGauge().Name("errpulse_state_journal_bytes")
                        .Help("Size of the state journal (the commits since the state file was "
                              "last written in full).")
                        .Register(r).Add({});
  commit_failures_ = &BuildCounter().Name("errpulse_state_commit_failures_total")
                          .Help("Commits that failed (the state file could not be written).")
                          .Register(r).Add({});
  alerts_ = &BuildGauge().Name("errpulse_alerts")
                 .Help("Alert instances by alertname and state (pending, firing).").Register(r);
  notifications_ = &BuildCounter().Name("errpulse_notifications_total")
                        .Help("Alert deliveries by receiver and outcome (sent; failed = no answer "
                              "or 5xx, retried; throttled = rate-limited by the robot, sent "
                              "again later; rejected = refused (4xx, a robot's error code); "
                              "dropped = queue full).")
                        .Register(r);
  queue_length_ = &BuildGauge().Name("errpulse_notification_queue_length")
                       .Help("Alert batches waiting for a receiver.").Register(r);
  auto& files_open = BuildGauge().Name("errpulse_files_open")
                         .Help("Log files currently open, by source.").Register(r);
  auto& lag = BuildGauge().Name("errpulse_lag_bytes")
                  .Help("Bytes written to tailed files but not yet read, by source.")
                  .Register(r);
  auto& code_info = BuildGauge().Name("errpulse_code_info")
                        .Help("The catalog: one series per known code, value 1; join on code.")
                        .Register(r);
  auto& build_info = BuildGauge().Name("errpulse_build_info")
                         .Help("errpulse's version and source revision, value 1.")
                         .Register(r);
  build_info.Add({{"version", build::kVersion}, {"revision", build::kRevision}}).Set(1);
  for (const auto& e : catalog_->entries()) {
    code_info.Add({{"code", e.code_text}, {"name", e.name}, {"domain", e.domain},
                   {"category", e.category}, {"severity", e.severity}})
        .Set(1);
  }
  for (const auto& name : sources) {
    SourceHandles h;
    h.name = name;
    const prometheus::Labels labels = {{"source", name}};
    h.lines = PublishedCounter(&lines.Add(labels));
    h.successes = PublishedCounter(&successes.Add(labels));
    h.unknown_total = PublishedCounter(&unknown.Add(labels));
    h.bytes_read = PublishedCounter(&bytes.Add(labels));
    h.read_errors = PublishedCounter(&read_errors.Add(labels));
    h.lines_cut = PublishedCounter(&cut.Add(labels));
    h.rotations = PublishedCounter(&rotations.Add(labels));
    h.truncations = PublishedCounter(&truncations.Add(labels));
    h.files_lost = PublishedCounter(&files_lost.Add(labels));
    for (LogFormat f : {LogFormat::kClog, LogFormat::kXlog, LogFormat::kCri, LogFormat::kDocker})
      h.decode_errors[static_cast<size_t>(f)] = PublishedCounter(
          &decode_errors.Add({{"source", name}, {"format", std::string(LogFormatName(f))}}));
    h.encrypted_blocks = PublishedCounter(&encrypted.Add(labels));
    h.seq_gaps = PublishedCounter(&seq_gaps.Add(labels));
    h.files_open = &files_open.Add(labels);
    h.lag_bytes = &lag.Add(labels);
    // Every catalogued code exists from the start at 0, so increase() and
    // rate() see the first error instead of a series appearing at 1.
    for (const auto& e : catalog_->entries()) {
      h.by_entry.emplace_back(&errors_->Add({{"source", name}, {"domain", e.domain},
                                             {"category", e.category}, {"code", e.code_text}}));
    }
    sources_.push_back(std::move(h));
  }
}

prometheus::Counter& Exporter::UnknownCounter(const SourceHandles& h, const std::string& code,
                                              std::string_view domain) {
  return errors_->Add({{"source", h.name}, {"domain", std::string(domain)},
                       {"category", "unknown"}, {"code", code}});
}

void Exporter::Publish(size_t source, const SourceCounts& counts) {
  SourceHandles& h = sources_[source];
  h.lines.Raise(counts.lines);
  h.successes.Raise(counts.successes);
  h.unknown_total.Raise(counts.unknown_total);
  for (size_t i = 0; i < counts.by_entry.size(); ++i) {
    if (counts.by_entry[i] != 0) h.by_entry[i].Raise(counts.by_entry[i]);
  }
  // New unknown codes get their series here, once each (bounded by the cap).
  while (h.unknown.size() < counts.unknown.size()) {
    const int64_t code = counts.unknown[h.unknown.size()].first;
    h.unknown.emplace_back(&UnknownCounter(h, std::to_string(code), RangeDomain(code)));
  }
  for (size_t i = 0; i < counts.unknown.size(); ++i) h.unknown[i].Raise(counts.unknown[i].second);
  for (size_t d = 0; d < counts.other.size(); ++d) {
    if (counts.other[d] == 0) continue;
    if (h.other[d].counter == nullptr)
      h.other[d] = PublishedCounter(&UnknownCounter(h, "other", kRangeDomains[d]));
    h.other[d].Raise(counts.other[d]);
  }
}

void Exporter::PublishSourceCounters(size_t source, const SourceStats& stats) {
  SourceHandles& h = sources_[source];
  h.bytes_read.Raise(stats.bytes_read);
  h.read_errors.Raise(stats.read_errors);
  h.lines_cut.Raise(stats.lines_cut);
  h.rotations.Raise(stats.rotations);
  h.truncations.Raise(stats.truncations);
  h.files_lost.Raise(stats.files_lost);
  for (size_t f = 0; f < kLogFormatCount; ++f)
    if (h.decode_errors[f].counter) h.decode_errors[f].Raise(stats.decode_errors[f]);
  h.encrypted_blocks.Raise(stats.encrypted_blocks);
  h.seq_gaps.Raise(stats.seq_gaps);
}

void Exporter::PublishContainers(size_t source, const ContainerCounts& counts) {
  SourceHandles& h = sources_[source];
  const auto& tallies = counts.tallies();
  for (size_t i = 0; i < tallies.size(); ++i) {
    const ContainerTally& t = tallies[i];
    // Label sets are built only for series not created yet: once per
    // container and code, not at every commit.
    auto labels = [&] {
      return prometheus::Labels{{"source", h.name},
                                {"namespace", t.labels.namespace_name},
                                {"pod", t.labels.pod},
                                {"container", t.labels.container}};
    };
    if (i == h.containers.size())
      h.containers.push_back({PublishedCounter(&container_lines_->Add(labels())), {}});
    SourceHandles::Container& c = h.containers[i];
    c.lines.Raise(t.lines);
    while (c.errors.size() < t.errors.size()) {
      const int64_t code = t.errors[c.errors.size()].first;
      prometheus::Labels with_code = labels();
      with_code["code"] = code == kOtherCode ? "other" : std::to_string(code);
      c.errors.emplace_back(&container_errors_->Add(with_code));
    }
    for (size_t e = 0; e < t.errors.size(); ++e) c.errors[e].Raise(t.errors[e].second);
  }
}

void Exporter::PublishSourceGauges(size_t source, const SourceStats& stats) {
  SourceHandles& h = sources_[source];
  h.files_open->Set(static_cast<double>(stats.files_open));
  h.lag_bytes->Set(static_cast<double>(stats.lag_bytes));
}

void Exporter::PublishAlerts(const std::map<std::pair<std::string, std::string>, int>& states) {
  for (const auto& [key, count] : states)
    alerts_->Add({{"alertname", key.first}, {"state", key.second}}).Set(count);
}

void Exporter::PublishReceiver(const std::string& name, uint64_t sent, uint64_t failed,
                               uint64_t rejected, uint64_t throttled, uint64_t dropped,
                               size_t queue_length) {
  Sync(&notifications_->Add({{"receiver", name}, {"outcome", "sent"}}), sent);
  Sync(&notifications_->Add({{"receiver", name}, {"outcome", "failed"}}), failed);
  Sync(&notifications_->Add({{"receiver", name}, {"outcome", "rejected"}}), rejected);
  Sync(&notifications_->Add({{"receiver", name}, {"outcome", "throttled"}}), throttled);
  Sync(&notifications_->Add({{"receiver", name}, {"outcome", "dropped"}}), dropped);
  queue_length_->Add({{"receiver", name}}).Set(static_cast<double>(queue_length));
}

void Exporter::CommitSucceeded(double unix_seconds) {
  last_commit_->Set(unix_seconds);
  commits_->Increment();
}

void Exporter::CommitFailed() { commit_failures_->Increment(); }

void Exporter::StateDurable(double unix_seconds) { last_sync_->Set(unix_seconds); }

void Exporter::JournalSize(uint64_t bytes) { journal_bytes_->Set(static_cast<double>(bytes)); }

std::string Exporter::Scrape() const {
  return TextExpositionOf(*registry_);
}

}  // namespace errpulse
