#include "cli/daemon_runner.h"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <sys/resource.h>

#include <chrono>
#include <csignal>
#include <future>

#include "cli/options.h"
#include "common/time_format.h"
#include "engine/pipeline_host.h"
#include "http/http_server.h"
#include "metrics/reload_metrics.h"
#include "service/systemd_notifier.h"
#include "status/status_routes.h"

namespace errpulse {
namespace {

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

// The daemon's parts and the one reload procedure both triggers share.
class Daemon {
 public:
  explicit Daemon(const DaemonOptions& options)
      : options_(options),
        host_(io_, options.setup),
        notifier_(io_, [this] { return host_.Current()->Summarize(); }),
        http_([this](const HttpRequest& r) { return Route(r); }) {}

  int Run() {
    const Config& config = options_.setup->config;
    RaiseOpenFileLimit(config.max_open_files);
    if (std::string error =
            http_.Listen(config.listen_host, config.listen_port, options_.web_config);
        !error.empty()) {
      spdlog::error("{}", error);
      return 1;
    }
    server_.listen = ListenAddress(config.listen_host, http_.port());
    boost::asio::signal_set signals(io_, SIGINT, SIGTERM, SIGHUP);
    WaitForSignal(signals);
    if (std::string error = host_.Start(); !error.empty()) {
      spdlog::error("{}", error);
      return 1;
    }
    reload_metrics_.Loaded(static_cast<double>(WallClockMs()) / 1000.0);
    http_.Start();
    spdlog::info("errpulse listening on {}:{}, following {} source(s)", config.listen_host,
                 http_.port(), config.sources.size());
    notifier_.Ready();
    notifier_.Start();
    if (options_.on_start) options_.on_start(io_);
    io_.run();
    http_.Stop();  // no request holds the pipeline any more
    spdlog::info("errpulse stopped");
    return 0;
  }

 private:
  void WaitForSignal(boost::asio::signal_set& signals) {
    signals.async_wait([this, &signals](const boost::system::error_code& ec, int signal) {
      if (ec) return;
      if (signal == SIGHUP) {
        spdlog::info("SIGHUP received: reloading the configuration");
        Reload();
        WaitForSignal(signals);
        return;
      }
      spdlog::info("{} received, stopping", signal == SIGTERM ? "SIGTERM" : "SIGINT");
      notifier_.Stopping();
      notifier_.Stop();
      host_.Stop();
      io_.stop();
    });
  }

  // Pipeline thread. Returns "" or why the running configuration was kept.
  std::string Reload() {
    if (!options_.reload) return "this errpulse (the demo) has no configuration file to reload";
    notifier_.Reloading();
    std::string report;
    std::shared_ptr<const Setup> setup = options_.reload(&report);
    std::shared_ptr<const WebConfig> web = ReloadWebConfig(&report);
    std::string error;
    if (!setup || (options_.web_config && !web)) {
      while (!report.empty() && report.back() == '\n') report.pop_back();
      error = "the new configuration is invalid:\n" + report;
    } else {
      if (web) http_.SetWebConfig(web);
      if (!report.empty()) spdlog::warn("reload: {}", report);
      error = host_.Reload(std::move(setup));
    }
    if (error.empty()) {
      reload_metrics_.Loaded(static_cast<double>(WallClockMs()) / 1000.0);
      spdlog::info("configuration reloaded");
    } else {
      reload_metrics_.Failed();
      spdlog::error("reload failed, still running on the previous configuration: {}", error);
    }
    notifier_.Ready();
    return error;
  }

  // The --web.config.file again (the server also picks up its changes by
  // itself; a reload applies them now and validates them with the rest).
  // nullptr when there is none or it is invalid (diagnostics in `report`).
  std::shared_ptr<const WebConfig> ReloadWebConfig(std::string* report) {
    if (!options_.web_config) return nullptr;
    return LoadWebConfigFile(options_.web_config->file, report);
  }

  // HTTP thread: runs the reload on the pipeline thread and waits for it.
  HttpResponse ReloadFromHttp() {
    auto done = std::make_shared<std::promise<std::string>>();
    std::future<std::string> result = done->get_future();
    boost::asio::post(io_, [this, done] { done->set_value(Reload()); });
    if (result.wait_for(std::chrono::seconds(60)) != std::future_status::ready)
      return {503, "text/plain; charset=utf-8", "reload still running after 60 s\n"};
    const std::string error = result.get();
    if (error.empty()) return {200, "text/plain; charset=utf-8", "configuration reloaded\n"};
    return {500, "text/plain; charset=utf-8", "failed to reload config: " + error + "\n"};
  }

  HttpResponse Route(const HttpRequest& request) {
    const std::string path = request.target.substr(0, request.target.find('?'));
    if (path == "/-/reload") {
      if (request.method != "POST" && request.method != "PUT")
        return {405, "text/plain; charset=utf-8", "use POST to reload\n"};
      return ReloadFromHttp();
    }
    if (request.method != "GET" && request.method != "HEAD")
      return {405, "text/plain; charset=utf-8", "method not allowed\n"};
    std::shared_ptr<Pipeline> pipeline = host_.Current();
    if (path == "/metrics")
      return {200, "text/plain; version=0.0.4; charset=utf-8",
              pipeline->exporter().Scrape() + reload_metrics_.Scrape()};
    if (path == "/api/v1/alerts") return {200, "application/json", pipeline->AlertsJson()};
    if (path == "/-/healthy") return {200, "text/plain; charset=utf-8", "errpulse is healthy\n"};
    if (path == "/-/ready") {
      if (pipeline->ready()) return {200, "text/plain; charset=utf-8", "errpulse is ready\n"};
      return {503, "text/plain; charset=utf-8", "errpulse is starting\n"};
    }
    if (IsStatusPath(path)) return StatusResponse(request.target, pipeline->Status(), server_);
    return {404, "text/plain; charset=utf-8", "not found\n"};
  }

  const DaemonOptions& options_;
  boost::asio::io_context io_;
  PipelineHost host_;
  ReloadMetrics reload_metrics_;
  SystemdNotifier notifier_;
  ServerInfo server_{"", WallClockMs()};  // for the status page; set before http_ starts
  HttpServer http_;  // last: stopped and destroyed first
};

}  // namespace

int RunDaemon(const DaemonOptions& options) { return Daemon(options).Run(); }

}  // namespace errpulse
