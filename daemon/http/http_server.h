// HttpServer: a small HTTP/1.1 server (Boost.Beast) for /metrics, the health
// endpoints and later the API. It runs on its own io_context and thread, so a
// scrape never waits behind log reading and a slow client never slows it.
//
// Limits: request header 8 KiB, body 64 KiB, 10 s to send a request, at most
// 64 connections at once (more are closed right away).
//
// Ownership: owns its acceptor and thread; connections keep themselves alive
// with shared_from_this. Handler is called on the server thread and must be
// thread-safe with respect to the rest of the program.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>

namespace errpulse {

struct HttpRequest {
  std::string method;
  std::string target;  // path and query
  std::string body;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

class HttpServer {
 public:
  using Handler = std::function<HttpResponse(const HttpRequest&)>;

  explicit HttpServer(Handler handler);
  ~HttpServer();

  // Binds host:port; returns an error message, or empty on success.
  std::string Listen(const std::string& host, uint16_t port);
  // The port actually bound (useful with port 0).
  uint16_t port() const { return port_; }
  void Start();  // starts the server thread
  void Stop();   // closes the acceptor and connections, joins the thread

 private:
  void Accept();

  Handler handler_;
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::thread thread_;
  uint16_t port_ = 0;
  std::shared_ptr<std::atomic<int>> connections_;
};

}  // namespace errpulse
