#include "engine/pipeline_host.h"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>

namespace errpulse {

PipelineHost::PipelineHost(boost::asio::io_context& io, std::shared_ptr<const Setup> setup)
    : io_(io), current_(Make(std::move(setup))) {}

std::shared_ptr<Pipeline> PipelineHost::Make(std::shared_ptr<const Setup> setup) {
  boost::asio::io_context* io = &io_;
  return std::shared_ptr<Pipeline>(new Pipeline(io_, std::move(setup)), [io](Pipeline* p) {
    // Handlers cancelled by Stop() are queued on the io_context already;
    // a deletion posted now runs after them.
    if (io->stopped()) {
      delete p;
    } else {
      boost::asio::post(*io, [p] { delete p; });
    }
  });
}

std::string PipelineHost::Start() { return Current()->Start(); }

void PipelineHost::Stop() { Current()->Stop(); }

std::shared_ptr<Pipeline> PipelineHost::Current() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return current_;
}

void PipelineHost::Replace(std::shared_ptr<Pipeline> next) {
  std::lock_guard<std::mutex> lock(mutex_);
  current_ = std::move(next);
}

std::string PipelineHost::Reload(std::shared_ptr<const Setup> setup) {
  std::shared_ptr<Pipeline> old = Current();
  const Config& before = old->setup()->config;
  if (setup->config.state_dir != before.state_dir)
    return "state_dir changed from " + before.state_dir + " to " + setup->config.state_dir +
           ": counts and offsets live there, so moving it needs a restart";
  if (setup->config.listen_host != before.listen_host ||
      setup->config.listen_port != before.listen_port)
    spdlog::warn("listen address changed to {}:{}: it takes effect at the next restart; still "
                 "listening on {}:{}",
                 setup->config.listen_host, setup->config.listen_port, before.listen_host,
                 before.listen_port);

  const Snapshot handover = old->Stop();
  std::shared_ptr<Pipeline> next = Make(setup);
  next->ContinueStatusFrom(*old);
  std::string error = next->Start(&handover);
  if (error.empty()) {
    Replace(std::move(next));
    return "";
  }
  next->Stop();
  spdlog::error("the reloaded config cannot start ({}); going on with the previous one", error);
  std::shared_ptr<Pipeline> previous = Make(old->setup());
  previous->ContinueStatusFrom(*old);
  if (std::string again = previous->Start(&handover); !again.empty()) {
    // Only the state directory can refuse twice (e.g. it was removed just
    // now): keep counting in memory on the old setup; commits report why.
    spdlog::error("the previous config cannot start again either: {}", again);
  }
  Replace(std::move(previous));
  return error;
}

}  // namespace errpulse
