// Pipeline: the running daemon's data path, wired together:
//   Tailer (files -> chunks) -> CountChunk (extract + classify + count)
//   -> SourceCounts -> Exporter (Prometheus counters).
// After every round of reads it publishes the counts, so /metrics moves within
// one round of a write.
//
// Ownership: owns the counts, the exporter and the tailer; shares the Setup.
// Everything but exporter().Scrape() runs on the io_context's one thread.
#pragma once

#include <boost/asio/io_context.hpp>

#include <atomic>
#include <memory>
#include <vector>

#include "engine/setup.h"
#include "engine/source_counts.h"
#include "metrics/exporter.h"
#include "tail/tailer.h"

namespace errpulse {

class Pipeline {
 public:
  Pipeline(boost::asio::io_context& io, std::shared_ptr<const Setup> setup);

  void Start();
  void Stop();

  // Thread-safe.
  const Exporter& exporter() const { return exporter_; }
  bool ready() const { return ready_.load(); }

 private:
  void OnChunk(size_t source, std::string_view lines);
  void Publish();

  std::shared_ptr<const Setup> setup_;
  std::vector<SourceCounts> counts_;
  Exporter exporter_;
  Tailer tailer_;
  std::atomic<bool> ready_{false};
};

}  // namespace errpulse
