// RunDaemon: runs the pipeline and the HTTP endpoints until SIGTERM/SIGINT.
// Shared by `errpulsed` and `errpulsed demo` (which adds its log writer
// through `on_start`).
//
// Runs on the calling thread (the pipeline thread); the HTTP server has its own.
#pragma once

#include <boost/asio/io_context.hpp>

#include <functional>
#include <memory>

#include "engine/setup.h"
#include "http/web_config.h"

namespace errpulse {

// Returns the exit status: 0 after a clean stop, 1 when it cannot listen.
// `web_config` (--web.config.file; null: plain HTTP, no auth) secures the
// HTTP endpoints.
int RunDaemon(std::shared_ptr<const Setup> setup,
              const std::function<void(boost::asio::io_context&)>& on_start = {},
              std::shared_ptr<const WebConfig> web_config = nullptr);

}  // namespace errpulse
