// SourceSet: the LogSources of a pipeline, and which one reads each
// configured source. The pipeline talks to its sources through this alone,
// so a new kind of input is a new LogSource added here by engine/setup, not
// a branch through the pipeline.
//
// Ownership: owns the LogSources. Not thread-safe (pipeline thread).
#pragma once

#include <memory>
#include <vector>

#include "source/log_source.h"

namespace errpulse {

class SourceSet {
 public:
  // `sources`: how many configured sources there are.
  explicit SourceSet(size_t sources) : owner_(sources, nullptr) {}

  // Adds `reader`, which reads the configured sources `indices`.
  void Add(std::unique_ptr<LogSource> reader, const std::vector<size_t>& indices);

  // The LogSource that reads configured source `source`. Every configured
  // source has one (checked by Complete()).
  LogSource& For(size_t source) const { return *owner_[source]; }
  // Whether every configured source has a reader.
  bool Complete() const;
  size_t size() const { return owner_.size(); }

  void Start(const std::vector<SourceStart>& starts);
  void Stop();
  // The sum of every reader's generation().
  uint64_t generation() const;

 private:
  std::vector<std::unique_ptr<LogSource>> readers_;
  std::vector<LogSource*> owner_;  // per configured source
};

}  // namespace errpulse
