#include "journal/journal_source.h"

#include <boost/asio/post.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <spdlog/spdlog.h>

#include <chrono>

#include "journal/journal_lines.h"
#include "journal/journal_reader.h"

namespace errpulse {
namespace {

// Entries per Read() batch (one cursor per batch), and batches per round
// before the round yields to the rest of the event loop (a backlog).
constexpr size_t kBatchEntries = 1024;
constexpr int kBatchesPerRound = 64;

int64_t SteadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string Join(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ",") + n;
  return out;
}

}  // namespace

JournalSpec JournalSpecOf(const JournalSelection& selection, int64_t max_line_bytes) {
  JournalSpec spec;
  spec.units = selection.units;
  spec.identifiers = selection.identifiers;
  spec.directory = selection.directory;
  spec.max_message_bytes = static_cast<size_t>(max_line_bytes);
  return spec;
}

struct JournalSource::Follower {
  Follower(boost::asio::io_context& io, size_t source, const SourceConfig& config,
           int64_t max_line_bytes)
      : source(source), config(config), reader(JournalSpecOf(*config.journal, max_line_bytes)), timer(io) {}

  size_t source;
  const SourceConfig& config;
  JournalReader reader;
  // The io_context's view of reader.fd(): released, never closed, as
  // sd-journal owns the descriptor.
  std::unique_ptr<boost::asio::posix::stream_descriptor> descriptor;
  boost::asio::steady_timer timer;  // round pacing, sd-journal's timeout, open retries
  JournalLines lines;
  SourceStats stats;
  SourceStart start;
  std::string cursor;       // the last entry handed on: the checkpoint
  uint64_t cursor_moves = 0;
  JournalReadStats seen;    // the reader's counters already added to `stats`
  bool missing_at_start = false;  // the directory was not there: read it all when it appears
  int64_t last_round_ms = 0;
  uint64_t wait_token = 0;  // the current wait; a handler of an older one does nothing
  std::string problem;      // logged once while it lasts
};

JournalSource::JournalSource(boost::asio::io_context& io, const Config& config,
                             std::vector<size_t> sources, ChunkSink sink, RoundDone round_done)
    : io_(io),
      config_(config),
      sink_(std::move(sink)),
      round_done_(std::move(round_done)),
      by_source_(config.sources.size(), nullptr) {
  for (size_t s : sources) {
    followers_.push_back(
        std::make_unique<Follower>(io, s, config.sources[s], config.max_line_bytes));
    by_source_[s] = followers_.back().get();
  }
}

JournalSource::~JournalSource() { Stop(); }

JournalSource::Follower& JournalSource::Of(size_t source) const { return *by_source_[source]; }

void JournalSource::RestoreStats(size_t source, const SourceStats& stats) {
  Of(source).stats = stats;
}

const SourceStats& JournalSource::Stats(size_t source) const { return Of(source).stats; }

SourceCheckpoint JournalSource::TakeCheckpoint(size_t source, bool) const {
  SourceCheckpoint checkpoint;
  checkpoint.cursor = Of(source).cursor;
  return checkpoint;
}

uint64_t JournalSource::CheckpointSignature(size_t source) const {
  return Of(source).cursor_moves;
}

std::vector<FollowedFile> JournalSource::Followed(size_t source) const {
  const Follower& f = Of(source);
  std::string what = f.reader.Describe();
  const JournalSelection& selection = *f.config.journal;
  if (!selection.units.empty()) what += " units=" + Join(selection.units);
  if (!selection.identifiers.empty()) what += " identifiers=" + Join(selection.identifiers);
  if (f.reader.directory_missing()) what += " (not there yet)";
  FollowedFile row;
  row.path = std::move(what);
  row.offset = f.stats.bytes_read;
  row.format = "journal";
  return {row};
}

void JournalSource::Start(const std::vector<SourceStart>& starts) {
  for (auto& f : followers_) {
    if (f->source < starts.size()) f->start = starts[f->source];
    f->cursor = f->start.checkpoint.cursor;  // kept until something new is handed on
    TryOpen(*f);
  }
}

void JournalSource::Stop() {
  if (stopped_) return;
  stopped_ = true;
  for (auto& f : followers_) {
    f->timer.cancel();
    if (f->descriptor) {
      f->descriptor->cancel();
      f->descriptor->release();
      f->descriptor.reset();
    }
  }
}

void JournalSource::Problem(Follower& f, const std::string& problem) {
  ++f.stats.read_errors;
  if (problem == f.problem) return;
  f.problem = problem;
  spdlog::error("source '{}': {}", f.config.name, problem);
}

void JournalSource::RetryLater(Follower& f) {
  f.timer.expires_after(std::chrono::milliseconds(config_.poll_interval_ms));
  f.timer.async_wait([this, &f](const boost::system::error_code& ec) {
    if (ec || stopped_) return;
    TryOpen(f);
  });
}

void JournalSource::TryOpen(Follower& f) {
  if (std::string error = f.reader.Open(); !error.empty()) {
    Problem(f, error + " (trying again every " + std::to_string(config_.poll_interval_ms) +
                   " ms)");
    RetryLater(f);
    return;
  }
  if (f.reader.directory_missing()) {
    if (!f.missing_at_start)
      spdlog::info("source '{}': journal directory {} does not exist yet; looking for it every "
                   "{} ms and reading all of it once it appears",
                   f.config.name, f.config.journal->directory, config_.poll_interval_ms);
    f.missing_at_start = true;
    RetryLater(f);
    return;
  }
  if (!f.problem.empty())
    spdlog::info("source '{}': {} opened", f.config.name, f.reader.Describe());
  f.problem.clear();
  f.seen = JournalReadStats();
  ++generation_;
  f.stats.files_open = 1;
  if (f.config.journal->directory.empty() && !f.reader.HasReadableFiles())
    spdlog::warn("source '{}': the system journal has no file errpulse may read: run it as a "
                 "member of the systemd-journal group (the shipped unit does, with "
                 "SupplementaryGroups=systemd-journal). Until then this source sees nothing",
                 f.config.name);
  Position(f);
  Round(f);
}

void JournalSource::Position(Follower& f) {
  std::string error;
  if (!f.cursor.empty()) {
    bool found = false;
    error = f.reader.SeekCursor(f.cursor, &found);
    if (error.empty() && !found) {
      ++f.stats.files_lost;
      spdlog::warn("source '{}': the last entry counted is no longer in {} (vacuumed or "
                   "rotated away while errpulse was stopped, or the journal was replaced): "
                   "entries after it that are gone too were not counted. Reading from the "
                   "oldest entry there",
                   f.config.name, f.reader.Describe());
    }
  } else {
    using Mode = SourceStart::Mode;
    const Mode mode = f.start.mode;
    const bool at_end = !f.missing_at_start &&
                        (mode == Mode::kEnd || (mode == Mode::kStartAt && f.config.start_at_end));
    error = at_end ? f.reader.SeekTail() : f.reader.SeekHead();
    // Start at end: nothing before here is counted, also after a restart
    // that comes before the first new entry.
    if (error.empty() && !f.reader.cursor().empty()) {
      f.cursor = f.reader.cursor();
      ++f.cursor_moves;
    }
  }
  // A failed seek leaves the reader at the head (journal_reader.h): read on.
  if (!error.empty()) Problem(f, error);
}

void JournalSource::Round(Follower& f) {
  const size_t flush_at = static_cast<size_t>(config_.read_chunk_bytes);
  const auto flush = [&] {
    if (f.lines.empty()) return;
    sink_(f.source, f.lines.lines(), f.lines.meta());
    f.lines.Clear();
  };
  const JournalEntrySink add = [&](const JournalEntry& entry) {
    f.stats.bytes_read += f.lines.Add(entry);
    // Mid-batch is safe: the pipeline commits only between batches.
    if (f.lines.lines().size() >= flush_at) flush();
  };
  bool at_end = false, failed = false;
  for (int batch = 0; batch < kBatchesPerRound && !at_end && !failed; ++batch) {
    const JournalRead read = f.reader.Read(kBatchEntries, add);
    flush();
    const JournalReadStats& rs = f.reader.stats();
    f.stats.lines_cut += rs.messages_cut - f.seen.messages_cut;
    f.stats.read_errors += rs.unreadable - f.seen.unreadable;
    f.seen = rs;
    if (read.consumed > 0 && f.reader.cursor() != f.cursor) {
      f.cursor = f.reader.cursor();
      ++f.cursor_moves;
    }
    if (read.error != 0) {
      Problem(f, f.reader.last_error());
      failed = true;  // the next change (or the timeout) tries again
    } else if (read.consumed > 0 && !f.problem.empty()) {
      spdlog::info("source '{}': {} is readable again", f.config.name, f.reader.Describe());
      f.problem.clear();
    }
    at_end = read.at_end;
  }
  f.last_round_ms = SteadyMs();
  round_done_();
  if (!at_end && !failed) {
    // A backlog: the rest in the next turn of the event loop.
    boost::asio::post(io_, [this, &f] {
      if (!stopped_) Round(f);
    });
    return;
  }
  WaitForChange(f);
}

void JournalSource::WaitForChange(Follower& f) {
  if (stopped_) return;
  if (f.reader.fd() < 0) {
    // Not followable (no inotify): look every poll_interval.
    f.timer.expires_after(std::chrono::milliseconds(config_.poll_interval_ms));
    f.timer.async_wait([this, &f](const boost::system::error_code& ec) {
      if (!ec && !stopped_) OnChange(f);
    });
    return;
  }
  const int64_t due = f.last_round_ms + config_.commit_interval_ms;
  const int64_t now = SteadyMs();
  if (now >= due) {
    StartWait(f);
    return;
  }
  // Entries arriving before `due` are read together then: one wake-up per
  // commit_interval however busy the journal is. The descriptor leaves the
  // reactor meanwhile: registered, its first event after a round would wake
  // the thread with nothing waiting for it (epoll is edge-triggered). The
  // round then looks whether anything changed; only a quiet journal brings
  // the descriptor back to wait on.
  if (f.descriptor) {
    f.descriptor->release();
    f.descriptor.reset();
  }
  f.timer.expires_after(std::chrono::milliseconds(due - now));
  f.timer.async_wait([this, &f](const boost::system::error_code& ec) {
    if (!ec && !stopped_) OnChange(f);
  });
}

void JournalSource::StartWait(Follower& f) {
  if (!f.descriptor)
    f.descriptor = std::make_unique<boost::asio::posix::stream_descriptor>(io_, f.reader.fd());
  const uint64_t token = ++f.wait_token;
  f.descriptor->async_wait(boost::asio::posix::stream_descriptor::wait_read,
                           [this, &f, token](const boost::system::error_code& ec) {
                             if (ec || stopped_ || token != f.wait_token) return;
                             ++f.wait_token;
                             f.timer.cancel();
                             OnChange(f);
                           });
  const int timeout_ms = f.reader.PollTimeoutMs();
  if (timeout_ms < 0) return;
  f.timer.expires_after(std::chrono::milliseconds(timeout_ms));
  f.timer.async_wait([this, &f, token](const boost::system::error_code& ec) {
    if (ec || stopped_ || token != f.wait_token) return;
    ++f.wait_token;
    f.descriptor->cancel();
    OnChange(f);
  });
}

void JournalSource::OnChange(Follower& f) {
  switch (f.reader.Process()) {
    case JournalChange::kNone:
      WaitForChange(f);
      return;
    case JournalChange::kError:
      // The descriptor may stay readable: look again a poll_interval later.
      Problem(f, f.reader.last_error());
      f.timer.expires_after(std::chrono::milliseconds(config_.poll_interval_ms));
      f.timer.async_wait([this, &f](const boost::system::error_code& ec) {
        if (!ec && !stopped_) OnChange(f);
      });
      return;
    case JournalChange::kFilesChanged:
      ++f.stats.rotations;
      break;
    case JournalChange::kAppended:
      break;
  }
  Round(f);
}

}  // namespace errpulse
