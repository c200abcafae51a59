#include "engine/log_sources.h"

#include <memory>

#include "tail/tailer.h"

namespace errpulse {

SourceSet MakeLogSources(boost::asio::io_context& io, const Config& config, ChunkSink sink,
                         LogSource::RoundDone round_done) {
  SourceSet set(config.sources.size());
  std::vector<size_t> files;
  for (size_t s = 0; s < config.sources.size(); ++s) files.push_back(s);
  set.Add(std::make_unique<Tailer>(io, config, std::move(sink), std::move(round_done)), files);
  return set;
}

}  // namespace errpulse
