// HttpExchange: what torqued's HTTP listener answers to one request read from a
// connection — the Beast parser with the listener's limits, the routing and the response —
// apart from the socket, so that the fuzz target (tests/fuzz/fuzz_http.cc) runs the very
// code HttpListener runs.
#pragma once

#include <boost/beast/core/error.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <map>
#include <string>

#include "server/http_listener.h"

namespace torque::server {

using HttpRequestParser = boost::beast::http::request_parser<boost::beast::http::empty_body>;
using HttpWireResponse = boost::beast::http::response<boost::beast::http::string_body>;

// Sets `parser` up for the next request of a connection: at most `header_limit` bytes of
// header, no body.
void LimitRequest(HttpRequestParser& parser, size_t header_limit);

// What the listener does after reading one request.
struct HttpStep {
  enum class Kind {
    kClose,     // the peer is gone, or too slow: close without answering
    kAnswer,    // write `response`
    kMakePage,  // make `*page` (on the pool: it may block), then write what MakePage gives
  };
  Kind kind = Kind::kClose;
  HttpResponse response;           // kAnswer
  const HttpPage* page = nullptr;  // kMakePage; points into the pages given to NextStep
  bool keep_alive = false;         // read the next request after writing
  bool head = false;               // write the headers only
  bool allow = false;              // 405: name the allowed methods
};

// The step after a read into `parser` that ended with `ec` (its request is complete when
// `ec` is clear). A bad request is answered 400, an oversize header 431, a body 413 (those
// three then close), an unknown path 404, a method other than GET and HEAD 405.
HttpStep NextStep(boost::beast::error_code ec, const HttpRequestParser& parser,
                  const std::map<std::string, HttpPage>& pages);

// `page` made; an exception it throws becomes a 500.
HttpResponse MakePage(const HttpPage& page);

// The message written for `response` after `step` (its keep_alive, head and allow).
HttpWireResponse WireResponse(HttpResponse response, const HttpStep& step);

}  // namespace torque::server
