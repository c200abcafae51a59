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

namespace errpulse {

// Returns the exit status: 0 after a clean stop, 1 when it cannot listen.
int RunDaemon(std::shared_ptr<const Setup> setup,
              const std::function<void(boost::asio::io_context&)>& on_start = {});

}  // namespace errpulse
