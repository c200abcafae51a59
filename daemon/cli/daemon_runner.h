// RunDaemon: runs the pipeline and the HTTP endpoints until SIGTERM/SIGINT,
// reloading the configuration on SIGHUP and POST /-/reload. Shared by
// `errpulsed run` and `errpulsed demo` (which adds its log writer through
// `on_start`).
//
// Runs on the calling thread (the pipeline thread); the HTTP server has its own.
#pragma once

#include <boost/asio/io_context.hpp>

#include <functional>
#include <memory>
#include <string>

#include "engine/setup.h"
#include "http/web_config.h"

namespace errpulse {

struct DaemonOptions {
  std::shared_ptr<const Setup> setup;
  // Loads and validates the configuration again for a reload: returns the new
  // Setup, or nullptr with the diagnostics in `report`.
  std::function<std::shared_ptr<const Setup>(std::string* report)> reload;
  std::function<void(boost::asio::io_context&)> on_start;
  // --web.config.file (null: plain HTTP, no auth): TLS and basic auth for the
  // HTTP endpoints; reloaded with the rest when it names a file.
  std::shared_ptr<const WebConfig> web_config;
};

// Returns the exit status: 0 after a clean stop, 1 when it cannot listen or
// cannot open its state.
int RunDaemon(const DaemonOptions& options);

}  // namespace errpulse
