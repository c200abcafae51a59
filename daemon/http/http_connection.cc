// See http_connection.h: what this is, ownership and thread-safety.
#include "http/http_connection.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <array>
#include <chrono>
#include <optional>
#include <type_traits>

namespace errpulse {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;

constexpr size_t kHeaderLimit = 8 * 1024;
constexpr size_t kBodyLimit = 64 * 1024;
constexpr auto kHandshakeTimeout = std::chrono::seconds(10);
constexpr auto kHeaderTimeout = std::chrono::seconds(10);
constexpr auto kBodyTimeout = std::chrono::seconds(10);
constexpr auto kWriteTimeout = std::chrono::seconds(10);
constexpr auto kLingerTimeout = std::chrono::seconds(2);

using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;
using Response = http::response<http::string_body>;

// What Go's server answers a plain HTTP request on a TLS port with: better
// than a silent close for someone who typed http:// by mistake.
constexpr std::string_view kPlainRequestOnTlsPort =
    "HTTP/1.0 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\n"
    "Connection: close\r\n\r\nClient sent an HTTP request to an HTTPS server.\n";

bool IsParseError(const beast::error_code& ec) {
  return ec.category() == http::make_error_code(http::error::bad_target).category() &&
         ec != http::error::end_of_stream && ec != http::error::partial_message;
}

template <class Stream>
class Connection : public std::enable_shared_from_this<Connection<Stream>> {
 public:
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

  Connection(tcp::socket socket, std::shared_ptr<ServerContext> server,
             std::shared_ptr<const WebConfig> web, boost::asio::thread_pool::executor_type bcrypt)
      : stream_(MakeStream(std::move(socket), web.get())),
        server_(std::move(server)),
        web_(std::move(web)),
        bcrypt_(bcrypt) {}
  ~Connection() { --server_->connections; }

  void Start() {
    if constexpr (kTls) {
      Lowest().expires_after(kHandshakeTimeout);
      stream_.async_handshake(ssl::stream_base::server,
                              [self = this->shared_from_this()](beast::error_code ec) {
                                self->OnHandshake(ec);
                              });
    } else {
      Read();
    }
  }

 private:
  static Stream MakeStream(tcp::socket socket, const WebConfig* web) {
    if constexpr (kTls) {
      return Stream(std::move(socket), *web->tls_context);
    } else {
      return Stream(std::move(socket));
    }
  }

  beast::tcp_stream& Lowest() { return beast::get_lowest_layer(stream_); }

  void OnHandshake(beast::error_code ec) {
    if (!ec) return Read();
    if (ec.category() == boost::asio::error::get_ssl_category() &&
        ERR_GET_REASON(static_cast<unsigned long>(ec.value())) == SSL_R_HTTP_REQUEST) {
      Lowest().expires_after(kWriteTimeout);
      boost::asio::async_write(
          Lowest().socket(), boost::asio::buffer(kPlainRequestOnTlsPort),
          [self = this->shared_from_this()](beast::error_code, size_t) { self->Linger(); });
      return;
    }
    spdlog::debug("TLS handshake with {} failed: {}", Peer(), ec.message());
    CloseSocket();
  }

  void Read() {
    state_ = nullptr;
    parser_.emplace();
    parser_->header_limit(kHeaderLimit);
    parser_->body_limit(kBodyLimit);
    Lowest().expires_after(kHeaderTimeout);
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = this->shared_from_this()](beast::error_code ec, size_t) {
                              self->OnHeader(ec);
                            });
  }

  void OnHeader(beast::error_code ec) {
    if (ec) return OnReadError(ec);
    if (parser_->is_done()) return OnRequest();
    Lowest().expires_after(kBodyTimeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = this->shared_from_this()](beast::error_code ec, size_t) {
                       if (ec) return self->OnReadError(ec);
                       self->OnRequest();
                     });
  }

  // A malformed or oversized request is answered; anything else (the client
  // left, a timeout, a TLS error) just closes.
  void OnReadError(beast::error_code ec) {
    if (!IsParseError(ec)) return Close(/*graceful=*/ec != beast::error::timeout);
    const bool too_large = ec == http::error::header_limit || ec == http::error::body_limit;
    Respond(Plain(too_large ? http::status::payload_too_large : http::status::bad_request,
                  ec.message() + "\n"),
            /*keep_alive=*/false);
  }

  void OnRequest() {
    const auto state = server_->State();
    state_ = state;
    if (state->limiter && !state->limiter->Allow())
      return Respond(Plain(http::status::too_many_requests, "Too Many Requests\n"),
                     /*keep_alive=*/false);
    if (!state->auth) return Serve();
    const auto header = parser_->get()[http::field::authorization];
    auto credentials = ParseBasicAuthorization(std::string_view(header.data(), header.size()));
    if (!credentials) return Unauthorized();
    if (state->auth->IsVerified(*credentials)) return Serve();
    // A bcrypt takes tens of milliseconds: off the server thread, so other
    // connections are served meanwhile.
    boost::asio::post(bcrypt_, [self = this->shared_from_this(), auth = state->auth,
                                credentials = std::move(*credentials)] {
      const bool ok = auth->Verify(credentials);
      boost::asio::post(self->stream_.get_executor(), [self, ok, user = credentials.user] {
        if (ok) return self->Serve();
        spdlog::debug("basic auth failed for user '{}' from {}", user, self->Peer());
        self->Unauthorized();
      });
    });
  }

  void Serve() {
    const auto& request = parser_->get();
    HttpRequest req{std::string(request.method_string()), std::string(request.target()),
                    request.body()};
    HttpResponse out = server_->handler(req);
    Response response = Plain(static_cast<http::status>(out.status),
                              request.method() == http::verb::head ? std::string()
                                                                   : std::move(out.body));
    response.set(http::field::content_type, out.content_type);
    Respond(std::move(response), request.keep_alive());
  }

  void Unauthorized() {
    Response response = Plain(http::status::unauthorized, "Unauthorized\n");
    response.set(http::field::www_authenticate, "Basic");
    Respond(std::move(response), parser_->get().keep_alive());
  }

  Response Plain(http::status status, std::string body) const {
    const unsigned version = parser_->get().version();
    Response response{status, version == 10 ? 10u : 11u};
    response.set(http::field::server, "errpulse");
    response.set(http::field::content_type, "text/plain; charset=utf-8");
    response.body() = std::move(body);
    return response;
  }

  void Respond(Response response, bool keep_alive) {
    const auto state = state_ ? state_ : server_->State();
    if (state->config) {
      for (const auto& [name, value] : state->config->headers) response.set(name, value);
    }
    response.keep_alive(keep_alive);
    response.prepare_payload();
    auto shared = std::make_shared<Response>(std::move(response));
    Lowest().expires_after(kWriteTimeout);
    http::async_write(stream_, *shared,
                      [self = this->shared_from_this(), shared](beast::error_code ec, size_t) {
                        if (ec) return self->CloseSocket();
                        if (!shared->keep_alive()) return self->Close(/*graceful=*/true);
                        self->Read();
                      });
  }

  // Graceful: TLS sends close_notify first; plain HTTP lingers.
  void Close(bool graceful) {
    if (!graceful) return CloseSocket();
    if constexpr (kTls) {
      Lowest().expires_after(kWriteTimeout);
      stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) {
        self->CloseSocket();
      });
    } else {
      Linger();
    }
  }

  // After the last answer: FIN, then read (and drop) what the client still
  // sends for a moment, so that closing with its unread bytes does not reset
  // the connection before it has read the answer (a 413 for a body too
  // large, the 400 for plain HTTP on the TLS port).
  void Linger() {
    beast::error_code ignored;
    Lowest().socket().shutdown(tcp::socket::shutdown_send, ignored);
    Lowest().expires_after(kLingerTimeout);
    Drain();
  }

  void Drain() {
    Lowest().async_read_some(boost::asio::buffer(drain_),
                             [self = this->shared_from_this()](beast::error_code ec, size_t) {
                               if (ec) return self->CloseSocket();
                               self->Drain();
                             });
  }

  void CloseSocket() {
    beast::error_code ignored;
    Lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
    Lowest().socket().close(ignored);
  }

  std::string Peer() {
    beast::error_code ec;
    auto endpoint = Lowest().socket().remote_endpoint(ec);
    return ec ? std::string("?") : endpoint.address().to_string();
  }

  Stream stream_;
  std::shared_ptr<ServerContext> server_;
  std::shared_ptr<const WebConfig> web_;  // keeps the TLS context alive
  std::shared_ptr<const WebState> state_;  // the request's: its extra headers
  boost::asio::thread_pool::executor_type bcrypt_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::array<char, 4096> drain_;
};

}  // namespace

void StartConnection(tcp::socket socket, std::shared_ptr<ServerContext> server,
                     boost::asio::thread_pool::executor_type bcrypt) {
  ++server->connections;
  auto state = server->State();
  auto web = state->config;
  if (web && web->tls_context) {
    std::make_shared<Connection<TlsStream>>(std::move(socket), std::move(server), web, bcrypt)
        ->Start();
  } else {
    std::make_shared<Connection<PlainStream>>(std::move(socket), std::move(server), web, bcrypt)
        ->Start();
  }
}

}  // namespace errpulse
