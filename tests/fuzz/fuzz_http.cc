// torqued's HTTP listener (/metrics, the status page): the bytes are what a client sends on
// one connection, read by the listener's Beast parser with its limits and answered by its
// routing and response code (server/http_exchange), request after request while the
// connection is kept. Every request gets one well-formed response with a status in the
// allowed set, or the connection is closed cleanly at the end of the input; and for input
// shorter than the header limit, the answers do not depend on how the bytes were split into
// reads. (Near the limit they do, in Beast: a header slightly over it is accepted when the
// request line was taken in an earlier read, and refused as bad (400) rather than too large
// (431) when the limit cuts a line; both are harmless.)
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <set>
#include <sstream>
#include <stdexcept>

#include "server/http_exchange.h"
#include "tests/fuzz/fuzz.h"

using namespace torque;
using namespace torque::server;
namespace beast = boost::beast;
namespace http = beast::http;

namespace {

const size_t kHeaderLimit = HttpListenerOptions{}.header_limit;

// The client's bytes as a socket gives them: at most `chunk` per read, then end of file.
class ByteStream {
 public:
  ByteStream(std::string_view bytes, size_t chunk) : rest_(bytes), chunk_(chunk) {}

  template <class Buffers>
  size_t read_some(const Buffers& buffers, beast::error_code& ec) {
    ec = {};
    if (rest_.empty()) {
      ec = boost::asio::error::eof;
      return 0;
    }
    const size_t n = boost::asio::buffer_copy(
        buffers, boost::asio::buffer(rest_.data(), std::min(chunk_, rest_.size())));
    rest_.remove_prefix(n);
    return n;
  }
  template <class Buffers>
  size_t read_some(const Buffers& buffers) {
    beast::error_code ec;
    const size_t n = read_some(buffers, ec);
    if (ec) throw beast::system_error(ec);
    return n;
  }

 private:
  std::string_view rest_;
  size_t chunk_;
};

const std::map<std::string, HttpPage>& Pages() {
  static const std::map<std::string, HttpPage> pages = {
      {"/metrics",
       [] {
         HttpResponse r;
         r.content_type = "text/plain; version=0.0.4; charset=utf-8";
         r.body = "torque_up 1\n";
         return r;
       }},
      {"/",
       [] {
         HttpResponse r;
         r.content_type = "text/html; charset=utf-8";
         r.body = "<!doctype html><title>torqued</title>";
         return r;
       }},
      {"/fail", []() -> HttpResponse { throw std::runtime_error("page failed"); }},
  };
  return pages;
}

// Checks that `wire` is exactly one well-formed HTTP/1.1 response agreeing with `step`.
void CheckResponse(const std::string& wire, const HttpStep& step) {
  http::response_parser<http::string_body> parser;
  parser.eager(true);
  parser.skip(step.head);  // a HEAD answer has a Content-Length but no body
  beast::error_code ec;
  const size_t used = parser.put(boost::asio::buffer(wire), ec);
  fuzz::Require(!ec && parser.is_done() && used == wire.size(), "one well-formed response");
  const auto& res = parser.get();
  static const std::set<unsigned> allowed = {200, 400, 404, 405, 413, 431, 500};
  fuzz::Require(allowed.count(res.result_int()) == 1, "the status is an allowed one");
  fuzz::Require(res.keep_alive() == step.keep_alive, "the response says whether it closes");
  fuzz::Require(res.result_int() != 405 || res[http::field::allow] == "GET, HEAD",
                "a 405 names the allowed methods");
  const unsigned status = res.result_int();
  fuzz::Require(!(status == 400 || status == 413 || status == 431) || !step.keep_alive,
                "a refused request ends the connection");
}

// Answers every request in `bytes` read `chunk` bytes at a time; the responses written,
// then "close".
std::string Converse(std::string_view bytes, size_t chunk) {
  ByteStream stream(bytes, chunk);
  beast::flat_buffer buffer;
  std::string transcript;
  for (;;) {
    HttpRequestParser parser;
    LimitRequest(parser, kHeaderLimit);
    beast::error_code ec;
    http::read(stream, buffer, parser, ec);
    const HttpStep step = NextStep(ec, parser, Pages());
    if (step.kind == HttpStep::Kind::kClose) {
      fuzz::Require(ec.failed(), "a complete request is answered");
      break;
    }
    fuzz::Require(step.kind == HttpStep::Kind::kAnswer || !ec.failed(),
                  "a page is made for complete requests only");
    HttpResponse made = step.kind == HttpStep::Kind::kAnswer ? step.response : MakePage(*step.page);
    std::ostringstream out;
    out << WireResponse(std::move(made), step);
    const std::string wire = out.str();
    CheckResponse(wire, step);
    transcript += wire;
    if (!step.keep_alive) break;
  }
  return transcript + "close";
}

}  // namespace

TORQUE_FUZZ_TARGET {
  const std::string_view bytes = fuzz::Text(data, size);
  const std::string whole = Converse(bytes, bytes.size() + 1);
  const std::string split = Converse(bytes, 7);
  fuzz::Require(bytes.size() >= kHeaderLimit || split == whole,
                "the answers do not depend on how reads split");
  return 0;
}
