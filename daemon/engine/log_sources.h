// MakeLogSources: the LogSources a config needs, in a SourceSet — the one
// place that knows every kind of source. Files (the Tailer) read every
// configured source with paths, the JournalSource every one with `journal:`;
// each further kind is added here, next to them.
//
// Thread-compatible; the sources it builds run on `io`'s one thread.
#pragma once

#include <boost/asio/io_context.hpp>

#include "config/config.h"
#include "source/chunk.h"
#include "source/source_set.h"

namespace errpulse {

// `config` must outlive the sources (the Setup's own).
SourceSet MakeLogSources(boost::asio::io_context& io, const Config& config, ChunkSink sink,
                         LogSource::RoundDone round_done);

}  // namespace errpulse
