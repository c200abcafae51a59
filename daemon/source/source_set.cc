#include "source/source_set.h"

namespace errpulse {

void SourceSet::Add(std::unique_ptr<LogSource> reader, const std::vector<size_t>& indices) {
  for (size_t s : indices) owner_[s] = reader.get();
  readers_.push_back(std::move(reader));
}

bool SourceSet::Complete() const {
  for (const LogSource* reader : owner_)
    if (!reader) return false;
  return true;
}

void SourceSet::Start(const std::vector<SourceStart>& starts) {
  for (auto& reader : readers_) reader->Start(starts);
}

void SourceSet::Stop() {
  for (auto& reader : readers_) reader->Stop();
}

uint64_t SourceSet::generation() const {
  uint64_t sum = 0;
  for (const auto& reader : readers_) sum += reader->generation();
  return sum;
}

}  // namespace errpulse
