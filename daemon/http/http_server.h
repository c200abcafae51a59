// HttpServer: a small HTTP/1.1 server (Boost.Beast) for /metrics, the health
// endpoints and the API. It runs on its own io_context and thread, so a
// scrape never waits behind log reading and a slow client never slows it.
//
// Security comes from the web config file (--web.config.file, the Prometheus
// exporter toolkit's format, see web_config.h): TLS on every connection when
// it has a certificate, basic auth on every path when it has users, extra
// response headers, a rate limit. Without one: plain HTTP, no auth.
//
// Limits: at most 64 connections at once (more are closed right away); per
// connection see http_connection.h (header 8 KiB, body 64 KiB, 10 s each for
// the TLS handshake, the request header, the body and the answer). bcrypt
// runs on a thread of its own, so a wrong password does not stall other
// clients.
//
// Like the exporter toolkit, which reads its web config on every request, the
// server picks up a changed web config, certificate, key or client CA file by
// itself: it looks at most once a second, when a connection arrives. A
// changed file that is invalid is logged and the web config in force stays.
//
// Ownership: owns its acceptor, its threads and the web config in force.
// Handler is called on the server thread. SetWebConfig is thread-safe.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/thread_pool.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "http/http_types.h"
#include "http/web_config.h"

namespace errpulse {

struct ServerContext;

class HttpServer {
 public:
  using Handler = HttpHandler;
  static constexpr int kMaxConnections = 64;

  explicit HttpServer(Handler handler);
  ~HttpServer();

  // Binds host:port and puts `web` in force (null: plain HTTP, no auth).
  // Returns an error message, or empty on success.
  std::string Listen(const std::string& host, uint16_t port,
                     std::shared_ptr<const WebConfig> web = nullptr);
  // Replaces the web config: new connections get its TLS setting, new
  // requests its auth, headers and rate limit. Thread-safe; for reloads.
  void SetWebConfig(std::shared_ptr<const WebConfig> web);
  // The port actually bound (useful with port 0).
  uint16_t port() const { return port_; }
  void Start();  // starts the server thread
  void Stop();   // closes the acceptor and connections, joins the threads

 private:
  void Accept();
  // Server thread only (see above).
  void ReloadWebConfigIfChanged();

  std::shared_ptr<ServerContext> context_;
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  // After io_: destroyed first, so a pending bcrypt's connection goes before
  // the io_context its socket belongs to.
  boost::asio::thread_pool bcrypt_{1};
  std::thread thread_;
  uint16_t port_ = 0;
  // Server thread only: when the files were last looked at, and the versions
  // of them that failed to load (not reported twice).
  std::chrono::steady_clock::time_point last_look_;
  std::string rejected_versions_;
};

}  // namespace errpulse
