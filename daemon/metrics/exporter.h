// Exporter: the Prometheus view of errpulse. Owns the prometheus-cpp registry
// and a handle for every series, created once (Family::Add) and kept, so
// publishing never builds label sets per line.
//
// Publish*() copy the pipeline's exact integer counts into the counters (one
// atomic add per changed series per batch, never per line). They must be
// called from one thread (the pipeline). Scrape() may be called from any
// thread at any time: prometheus-cpp guards families with a mutex and
// counter values are atomic.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <array>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "classify/catalog.h"
#include "count/container_counts.h"
#include "count/source_counts.h"
#include "source/source_stats.h"

namespace errpulse {

class Exporter {
 public:
  Exporter(std::shared_ptr<const Catalog> catalog, const std::vector<std::string>& sources);

  // Pipeline thread only. Counters: call with committed values only.
  void Publish(size_t source, const SourceCounts& counts);
  void PublishSourceCounters(size_t source, const SourceStats& stats);
  // kubernetes_labels sources: per container (committed values only).
  void PublishContainers(size_t source, const ContainerCounts& counts);
  // Gauges (files open, lag): current values, any time.
  void PublishSourceGauges(size_t source, const SourceStats& stats);
  // Alerting: instances per (alertname, state); one receiver's deliveries.
  void PublishAlerts(const std::map<std::pair<std::string, std::string>, int>& states);
  void PublishReceiver(const std::string& name, uint64_t sent, uint64_t failed, uint64_t rejected,
                       uint64_t throttled, uint64_t dropped, size_t queue_length);
  // A commit succeeded at `unix_seconds` / failed.
  void CommitSucceeded(double unix_seconds);
  void CommitFailed();
  // The commits up to now survive a power loss (a sync or a full commit).
  void StateDurable(double unix_seconds);
  void JournalSize(uint64_t bytes);

  // Any thread: the Prometheus text exposition format (version 0.0.4).
  std::string Scrape() const;

 private:
  // A counter and the value last published to it: the per-commit check
  // compares two integers in one array instead of loading every series'
  // atomic (hundreds of scattered cache lines per commit).
  struct PublishedCounter {
    prometheus::Counter* counter = nullptr;
    uint64_t value = 0;
    PublishedCounter() = default;
    explicit PublishedCounter(prometheus::Counter* c) : counter(c) {}
    // Raises the counter to `to` (counts only grow; a lower value is ignored).
    void Raise(uint64_t to) {
      if (to <= value) return;
      counter->Increment(static_cast<double>(to - value));
      value = to;
    }
  };

  struct SourceHandles {
    std::string name;
    PublishedCounter lines;
    PublishedCounter successes;
    PublishedCounter unknown_total;
    std::vector<PublishedCounter> by_entry;
    std::vector<PublishedCounter> unknown;  // parallel to SourceCounts::unknown
    std::array<PublishedCounter, kRangeDomains.size()> other{};
    PublishedCounter bytes_read;
    PublishedCounter read_errors;
    PublishedCounter lines_cut;
    PublishedCounter rotations;
    PublishedCounter truncations;
    PublishedCounter files_lost;
    // By LogFormat; only the decoded formats have one.
    std::array<PublishedCounter, kLogFormatCount> decode_errors{};
    PublishedCounter encrypted_blocks;
    PublishedCounter seq_gaps;
    prometheus::Gauge* files_open = nullptr;
    prometheus::Gauge* lag_bytes = nullptr;
    // Parallel to ContainerCounts::tallies(): created as containers appear.
    struct Container {
      PublishedCounter lines;
      std::vector<PublishedCounter> errors;  // parallel to the tally's errors
    };
    std::vector<Container> containers;
  };

  prometheus::Counter& UnknownCounter(const SourceHandles& h, const std::string& code,
                                      std::string_view domain);

  std::shared_ptr<const Catalog> catalog_;
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>* errors_;
  prometheus::Family<prometheus::Counter>* container_lines_;
  prometheus::Family<prometheus::Counter>* container_errors_;
  std::vector<SourceHandles> sources_;
  prometheus::Family<prometheus::Gauge>* alerts_ = nullptr;
  prometheus::Family<prometheus::Counter>* notifications_ = nullptr;
  prometheus::Family<prometheus::Gauge>* queue_length_ = nullptr;
  prometheus::Gauge* last_commit_ = nullptr;
  prometheus::Counter* commits_ = nullptr;
  prometheus::Counter* commit_failures_ = nullptr;
  prometheus::Gauge* last_sync_ = nullptr;
  prometheus::Gauge* journal_bytes_ = nullptr;
};

}  // namespace errpulse
