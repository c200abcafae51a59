#include "engine/pipeline.h"

#include "engine/counting.h"

namespace errpulse {
namespace {

std::vector<std::string> SourceNames(const Config& config) {
  std::vector<std::string> names;
  for (const auto& s : config.sources) names.push_back(s.name);
  return names;
}

}  // namespace

Pipeline::Pipeline(boost::asio::io_context& io, std::shared_ptr<const Setup> setup)
    : setup_(std::move(setup)),
      counts_(setup_->config.sources.size(),
              SourceCounts(setup_->catalog->size(), setup_->config.max_unknown_codes)),
      exporter_(setup_->catalog, SourceNames(setup_->config)),
      tailer_(
          io, setup_->config,
          [this](size_t source, std::string_view lines) { OnChunk(source, lines); },
          [this] { Publish(); }) {}

void Pipeline::Start() {
  tailer_.Start();
  Publish();
  ready_ = true;
}

void Pipeline::Stop() {
  tailer_.Stop();
  Publish();
}

void Pipeline::OnChunk(size_t source, std::string_view lines) {
  CountChunk(*setup_->scanners[source], *setup_->catalog, lines, &counts_[source]);
}

void Pipeline::Publish() {
  for (size_t s = 0; s < counts_.size(); ++s) {
    exporter_.Publish(s, counts_[s]);
    exporter_.PublishTail(s, tailer_.stats()[s]);
  }
}

}  // namespace errpulse
