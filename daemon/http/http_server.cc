#include "http/http_server.h"

#include <spdlog/spdlog.h>

#include <boost/asio/strand.hpp>
#include <chrono>

#include "http/http_connection.h"

namespace errpulse {

HttpServer::HttpServer(Handler handler)
    : context_(std::make_shared<ServerContext>()), acceptor_(io_) {
  context_->handler = std::move(handler);
  context_->state = std::make_shared<const WebState>();
}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::SetWebConfig(std::shared_ptr<const WebConfig> web) {
  auto state = std::make_shared<WebState>();
  if (web && !web->basic_auth_users.empty())
    state->auth = std::make_shared<BasicAuthenticator>(web->basic_auth_users);
  if (web && web->rate_limit.interval_ns > 0)
    state->limiter = std::make_shared<RateLimiter>(
        std::chrono::nanoseconds(web->rate_limit.interval_ns), web->rate_limit.burst);
  state->config = std::move(web);
  std::atomic_store(&context_->state, std::shared_ptr<const WebState>(std::move(state)));
}

std::string HttpServer::Listen(const std::string& host, uint16_t port,
                               std::shared_ptr<const WebConfig> web) {
  if (web) spdlog::info("web config {}: {}", web->file, web->Summary());
  SetWebConfig(std::move(web));
  boost::system::error_code ec;
  auto address = boost::asio::ip::make_address(host, ec);
  if (ec) return "listen address '" + host + "' is not an IP address: " + ec.message();
  boost::asio::ip::tcp::endpoint endpoint(address, port);
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(boost::asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(boost::asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return "cannot listen on " + host + ":" + std::to_string(port) + ": " + ec.message();
  }
  port_ = acceptor_.local_endpoint().port();
  return "";
}

void HttpServer::ReloadWebConfigIfChanged() {
  const auto now = std::chrono::steady_clock::now();
  if (now - last_look_ < std::chrono::seconds(1)) return;
  last_look_ = now;
  const auto config = context_->State()->config;
  if (!config || config->file.empty()) return;
  const std::string versions = config->CurrentFileVersions();
  if (versions == config->file_versions || versions == rejected_versions_) return;
  Diagnostics diagnostics;
  auto web = LoadWebConfig(config->file, &diagnostics);
  if (!web) {
    rejected_versions_ = versions;
    std::string why = FormatDiagnostics(diagnostics);
    if (!why.empty()) why.pop_back();
    spdlog::error("web config {} changed on disk but is invalid; the one in force stays:\n{}",
                  config->file, why);
    return;
  }
  spdlog::info("web config {} changed on disk, now in force: {}", config->file, web->Summary());
  SetWebConfig(std::make_shared<const WebConfig>(std::move(*web)));
}

void HttpServer::Accept() {
  acceptor_.async_accept(
      boost::asio::make_strand(io_),
      [this](boost::system::error_code ec, boost::asio::ip::tcp::socket socket) {
        if (ec == boost::asio::error::operation_aborted) return;
        if (!ec) {
          if (context_->connections.load() >= kMaxConnections) {
            boost::system::error_code ignored;
            socket.close(ignored);
          } else {
            ReloadWebConfigIfChanged();
            StartConnection(std::move(socket), context_, bcrypt_.get_executor());
          }
        }
        Accept();
      });
}

void HttpServer::Start() {
  Accept();
  thread_ = std::thread([this] { io_.run(); });
}

void HttpServer::Stop() {
  if (!thread_.joinable()) return;
  boost::asio::post(io_, [this] {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    io_.stop();
  });
  thread_.join();
  bcrypt_.stop();
  bcrypt_.join();
}

}  // namespace errpulse
