// PipelineHost: owns the running Pipeline and replaces it when the config is
// reloaded (SIGHUP, POST /-/reload).
//
// A reload validates first: the caller compiles the new Setup (config, rules,
// catalog) and only a valid one reaches Reload(). Reload() then stops the
// current pipeline, which commits and hands over its last snapshot, and
// starts a new pipeline on the new Setup from that snapshot: offsets, counts
// and alert instances carry over exactly as across a restart, without the
// round trip through disk. If the new pipeline cannot start (say, its
// state_dir is unusable), the old Setup is started again from the same
// snapshot, so a failed reload loses nothing either.
//
// What a reload cannot change: the listen address (the socket stays bound;
// logged) and state_dir (refused, because counts would start over elsewhere).
//
// Threads: Start/Stop/Reload on the pipeline thread (the io_context's one
// thread). Current() on any thread: it returns a shared_ptr, so a scrape in
// flight keeps the old pipeline alive; the last owner's release hands the
// deletion to the pipeline thread (or deletes at once once the io_context is
// stopped), because a pipeline's cancelled handlers must run before it goes.
#pragma once

#include <boost/asio/io_context.hpp>

#include <memory>
#include <mutex>
#include <string>

#include "engine/pipeline.h"

namespace errpulse {

class PipelineHost {
 public:
  PipelineHost(boost::asio::io_context& io, std::shared_ptr<const Setup> setup);

  // Starts the first pipeline from the state file. Returns an error, or "".
  std::string Start();
  void Stop();
  // Applies a validated Setup. Returns "" on success, else why the old one
  // is still in use.
  std::string Reload(std::shared_ptr<const Setup> setup);

  // Any thread. Never null after construction.
  std::shared_ptr<Pipeline> Current() const;

 private:
  std::shared_ptr<Pipeline> Make(std::shared_ptr<const Setup> setup);
  void Replace(std::shared_ptr<Pipeline> next);

  boost::asio::io_context& io_;
  mutable std::mutex mutex_;  // guards current_ (swapped here, read by HTTP)
  std::shared_ptr<Pipeline> current_;
};

}  // namespace errpulse
