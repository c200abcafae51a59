#include "http/http_server.h"

#include <spdlog/spdlog.h>

#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <optional>

namespace errpulse {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = boost::asio::ip::tcp;

constexpr int kMaxConnections = 64;
constexpr auto kRequestTimeout = std::chrono::seconds(10);

// One client connection: read a request, answer it, repeat while keep-alive.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(tcp::socket socket, const HttpServer::Handler& handler,
             std::shared_ptr<std::atomic<int>> connections)
      : stream_(std::move(socket)), handler_(handler), connections_(std::move(connections)) {}
  ~Connection() { --*connections_; }

  void Start() { Read(); }

 private:
  void Read() {
    parser_.emplace();
    parser_->header_limit(8 * 1024);
    parser_->body_limit(64 * 1024);
    stream_.expires_after(kRequestTimeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       self->OnRead(ec);
                     });
  }

  void OnRead(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
        ec == boost::asio::error::operation_aborted) {
      Close();
      return;
    }
    const auto& request = parser_->get();
    http::response<http::string_body> response;
    response.version(request.version());
    response.keep_alive(request.keep_alive());
    response.set(http::field::server, "errpulse");
    if (ec) {
      response.result(ec == http::error::header_limit || ec == http::error::body_limit
                           ? http::status::payload_too_large
                           : http::status::bad_request);
      response.set(http::field::content_type, "text/plain; charset=utf-8");
      response.body() = ec.message() + "\n";
      response.keep_alive(false);
    } else {
      HttpRequest req{std::string(request.method_string()), std::string(request.target()),
                      request.body()};
      HttpResponse out = handler_(req);
      response.result(static_cast<http::status>(out.status));
      response.set(http::field::content_type, out.content_type);
      response.body() = request.method() == http::verb::head ? std::string() : std::move(out.body);
    }
    response.prepare_payload();
    Write(std::move(response));
  }

  void Write(http::response<http::string_body> response) {
    auto shared = std::make_shared<http::response<http::string_body>>(std::move(response));
    stream_.expires_after(kRequestTimeout);
    http::async_write(stream_, *shared,
                      [self = shared_from_this(), shared](beast::error_code ec, size_t) {
                        if (ec || !shared->keep_alive()) {
                          self->Close();
                          return;
                        }
                        self->Read();
                      });
  }

  void Close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  const HttpServer::Handler& handler_;
  std::shared_ptr<std::atomic<int>> connections_;
};

}  // namespace

HttpServer::HttpServer(Handler handler)
    : handler_(std::move(handler)),
      acceptor_(io_),
      connections_(std::make_shared<std::atomic<int>>(0)) {}

HttpServer::~HttpServer() { Stop(); }

std::string HttpServer::Listen(const std::string& host, uint16_t port) {
  beast::error_code ec;
  auto address = boost::asio::ip::make_address(host, ec);
  if (ec) return "listen address '" + host + "' is not an IP address: " + ec.message();
  tcp::endpoint endpoint(address, port);
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

void HttpServer::Accept() {
  acceptor_.async_accept(boost::asio::make_strand(io_), [this](beast::error_code ec,
                                                              tcp::socket socket) {
    if (ec == boost::asio::error::operation_aborted) return;
    if (!ec) {
      if (connections_->load() >= kMaxConnections) {
        beast::error_code ignored;
        socket.close(ignored);
      } else {
        ++*connections_;
        std::make_shared<Connection>(std::move(socket), handler_, connections_)->Start();
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
    beast::error_code ignored;
    acceptor_.close(ignored);
    io_.stop();
  });
  thread_.join();
}

}  // namespace errpulse
