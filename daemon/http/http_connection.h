// One client connection of the HttpServer, plain or TLS: TLS handshake (when
// the web config has TLS), then read a request, check rate limit and basic
// auth, answer it, repeat while keep-alive.
//
// Limits: 8 KiB of request header, 64 KiB of body; 10 s for the TLS
// handshake, 10 s for the request header (from the connection's start or the
// previous answer: a client that trickles a partial header is closed), 10 s
// more for the body, 10 s to take the answer.
//
// Ownership: a connection keeps itself alive with shared_from_this while an
// operation is pending; it shares ServerContext with the server. All its
// handlers run on its strand of the server's io_context; a bcrypt runs on the
// server's bcrypt pool and posts its result back to the strand.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/thread_pool.hpp>

#include <atomic>
#include <functional>
#include <memory>

#include "http/basic_auth.h"
#include "http/http_types.h"
#include "http/rate_limiter.h"
#include "http/web_config.h"

namespace errpulse {

// One web config in force, with what serving it takes.
struct WebState {
  std::shared_ptr<const WebConfig> config;   // null: plain HTTP, no auth, no extra headers
  std::shared_ptr<BasicAuthenticator> auth;  // null when basic_auth_users is empty
  std::shared_ptr<RateLimiter> limiter;      // null when rate_limit is off
};

// What the server shares with its connections. Thread-safe: the handler is
// the caller's (see HttpServer), `connections` is atomic, `state` is read and
// replaced with the atomic shared_ptr functions.
struct ServerContext {
  HttpHandler handler;
  std::atomic<int> connections{0};
  std::shared_ptr<const WebState> state;

  std::shared_ptr<const WebState> State() const { return std::atomic_load(&state); }
};

// Serves `socket` (accepted on a strand) under the web state in force now.
void StartConnection(boost::asio::ip::tcp::socket socket, std::shared_ptr<ServerContext> server,
                     boost::asio::thread_pool::executor_type bcrypt);

}  // namespace errpulse
