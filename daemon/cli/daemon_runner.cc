#include "cli/daemon_runner.h"

#include <spdlog/spdlog.h>

#include <boost/asio/signal_set.hpp>
#include <sys/resource.h>

#include <csignal>

#include "engine/pipeline.h"
#include "http/http_server.h"

namespace errpulse {
namespace {

HttpResponse Route(const HttpRequest& request, const Pipeline& pipeline) {
  const std::string path = request.target.substr(0, request.target.find('?'));
  if (request.method != "GET" && request.method != "HEAD")
    return {405, "text/plain; charset=utf-8", "method not allowed\n"};
  if (path == "/metrics")
    return {200, "text/plain; version=0.0.4; charset=utf-8", pipeline.exporter().Scrape()};
  if (path == "/api/v1/alerts")
    return {200, "application/json", pipeline.AlertsJson()};
  if (path == "/-/healthy") return {200, "text/plain; charset=utf-8", "errpulse is healthy\n"};
  if (path == "/-/ready") {
    if (pipeline.ready()) return {200, "text/plain; charset=utf-8", "errpulse is ready\n"};
    return {503, "text/plain; charset=utf-8", "errpulse is starting\n"};
  }
  if (path == "/")
    return {200, "text/html; charset=utf-8",
            "<!doctype html><title>errpulse</title><h1>errpulse</h1>"
            "<p><a href=\"/metrics\">/metrics</a> &middot; <a href=\"/-/healthy\">/-/healthy</a>"
            " &middot; <a href=\"/-/ready\">/-/ready</a></p>\n"};
  return {404, "text/plain; charset=utf-8", "not found\n"};
}

}  // namespace

// Open files: raise the soft limit to the hard one (systemd gives services
// 1024:524288), so max_open_files is the bound that matters.
void RaiseOpenFileLimit(int64_t max_open_files) {
  struct rlimit limit;
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
    ::getrlimit(RLIMIT_NOFILE, &limit);
  }
  constexpr int64_t kHeadroom = 64;  // inotify, sockets, state, logs
  if (limit.rlim_cur != RLIM_INFINITY &&
      static_cast<int64_t>(limit.rlim_cur) < max_open_files + kHeadroom)
    spdlog::warn("max_open_files is {} but only {} descriptors are allowed (LimitNOFILE); "
                 "opening files may fail",
                 max_open_files, static_cast<int64_t>(limit.rlim_cur));
}

int RunDaemon(std::shared_ptr<const Setup> setup,
              const std::function<void(boost::asio::io_context&)>& on_start,
              std::shared_ptr<const WebConfig> web_config) {
  RaiseOpenFileLimit(setup->config.max_open_files);
  boost::asio::io_context io;
  Pipeline pipeline(io, setup);
  HttpServer http([&pipeline](const HttpRequest& r) { return Route(r, pipeline); });
  const Config& config = setup->config;
  if (std::string error = http.Listen(config.listen_host, config.listen_port, web_config);
      !error.empty()) {
    spdlog::error("{}", error);
    return 1;
  }

  boost::asio::signal_set signals(io, SIGINT, SIGTERM, SIGHUP);
  std::function<void(const boost::system::error_code&, int)> on_signal =
      [&](const boost::system::error_code& ec, int signal) {
        if (ec) return;
        if (signal == SIGHUP) {
          spdlog::warn("SIGHUP received: live reload is not implemented yet; restart "
                       "errpulsed to apply a new config");
          signals.async_wait(on_signal);
          return;
        }
        spdlog::info("{} received, stopping", signal == SIGTERM ? "SIGTERM" : "SIGINT");
        pipeline.Stop();
        io.stop();
      };
  signals.async_wait(on_signal);

  if (std::string error = pipeline.Start(); !error.empty()) {
    spdlog::error("{}", error);
    return 1;
  }
  http.Start();
  spdlog::info("errpulse listening on {}:{}, following {} source(s)", config.listen_host,
               http.port(), config.sources.size());
  if (on_start) on_start(io);
  io.run();
  http.Stop();
  spdlog::info("errpulse stopped");
  return 0;
}

}  // namespace errpulse
