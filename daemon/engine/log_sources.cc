#include "engine/log_sources.h"

#include <memory>

#include "journal/journal_source.h"
#include "tail/tailer.h"

namespace errpulse {

SourceSet MakeLogSources(boost::asio::io_context& io, const Config& config, ChunkSink sink,
                         LogSource::RoundDone round_done) {
  SourceSet set(config.sources.size());
  std::vector<size_t> files, journals;
  for (size_t s = 0; s < config.sources.size(); ++s)
    (config.sources[s].journal ? journals : files).push_back(s);
  if (!journals.empty())
    set.Add(std::make_unique<JournalSource>(io, config, journals, sink, round_done), journals);
  // The Tailer even without file sources: it is cheap when idle, and the
  // file source's tests and benchmarks expect its one inotify descriptor.
  set.Add(std::make_unique<Tailer>(io, config, std::move(sink), std::move(round_done)), files);
  return set;
}

}  // namespace errpulse
