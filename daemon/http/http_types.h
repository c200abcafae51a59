// The request and answer the HTTP server hands to its handler (the routes in
// cli/daemon_runner.cc), and the handler's type.
//
// Value types; thread-compatible.
#pragma once

#include <functional>
#include <string>

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

// Called on the server thread for every request that passed the web config's
// rate limit and basic auth; must be thread-safe with respect to the rest of
// the program.
using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

}  // namespace errpulse
