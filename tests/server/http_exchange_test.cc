// HttpExchange without a socket: what the listener answers to the bytes of one request.
#include "server/http_exchange.h"

#include <gtest/gtest.h>

#include <boost/beast/http/error.hpp>
#include <boost/beast/http/write.hpp>
#include <sstream>
#include <stdexcept>
#include <string>

namespace torque::server {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;

const std::map<std::string, HttpPage>& Pages() {
  static const std::map<std::string, HttpPage> pages = {
      {"/metrics",
       [] {
         HttpResponse r;
         r.body = "up 1\n";
         return r;
       }},
      {"/fail", []() -> HttpResponse { throw std::runtime_error("no store"); }},
  };
  return pages;
}

// The step for `request` given whole, as the listener's parser reads it.
HttpStep Step(const std::string& request, size_t header_limit = 8192) {
  HttpRequestParser parser;
  LimitRequest(parser, header_limit);
  parser.eager(true);
  beast::error_code ec;
  parser.put(boost::asio::buffer(request), ec);
  if (!ec && !parser.is_done()) ec = http::error::partial_message;
  return NextStep(ec, parser, Pages());
}

std::string Wire(const HttpStep& step) {
  HttpResponse r = step.kind == HttpStep::Kind::kAnswer ? step.response : MakePage(*step.page);
  std::ostringstream out;
  out << WireResponse(std::move(r), step);
  return out.str();
}

struct ExchangeCase {
  std::string request;
  std::string status_line;  // of the answer
  bool keep_alive;
};

TEST(HttpExchangeTest, GoldenTable) {
  const ExchangeCase cases[] = {
      {"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 200 OK", true},
      {"GET /metrics?x=1 HTTP/1.1\r\n\r\n", "HTTP/1.1 200 OK", true},
      {"GET /metrics HTTP/1.0\r\n\r\n", "HTTP/1.1 200 OK", false},
      {"GET /metrics HTTP/1.1\r\nConnection: close\r\n\r\n", "HTTP/1.1 200 OK", false},
      {"HEAD /metrics HTTP/1.1\r\n\r\n", "HTTP/1.1 200 OK", true},
      {"GET /nope HTTP/1.1\r\n\r\n", "HTTP/1.1 404 Not Found", true},
      {"POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n", "HTTP/1.1 405 Method Not Allowed",
       true},
      {"GET /fail HTTP/1.1\r\n\r\n", "HTTP/1.1 500 Internal Server Error", true},
      {"GET /metrics HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc", "HTTP/1.1 413 Payload Too Large",
       false},
      {"GET /metrics HTTP/1.1\r\nX: " + std::string(9000, 'a') + "\r\n\r\n",
       "HTTP/1.1 431 Request Header Fields Too Large", false},
      {"GET /metrics HTTP/9.9\r\n\r\n", "HTTP/1.1 400 Bad Request", false},
      {"GET /metrics HTTP/1.1\r\nHost: x", "HTTP/1.1 400 Bad Request", false},  // cut short
  };
  for (const auto& c : cases) {
    const HttpStep step = Step(c.request);
    ASSERT_NE(step.kind, HttpStep::Kind::kClose) << c.request.substr(0, 60);
    const std::string wire = Wire(step);
    EXPECT_EQ(wire.substr(0, wire.find("\r\n")), c.status_line) << c.request.substr(0, 60);
    EXPECT_EQ(step.keep_alive, c.keep_alive) << c.request.substr(0, 60);
  }
}

TEST(HttpExchangeTest, HeadKeepsTheLengthOfTheGet) {
  const std::string wire = Wire(Step("HEAD /metrics HTTP/1.1\r\n\r\n"));
  EXPECT_NE(wire.find("Content-Length: 5\r\n"), std::string::npos) << wire;
  EXPECT_EQ(wire.substr(wire.size() - 4), "\r\n\r\n");  // no body
}

TEST(HttpExchangeTest, MethodNotAllowedNamesTheAllowedOnes) {
  const std::string wire = Wire(Step("DELETE /metrics HTTP/1.1\r\n\r\n"));
  EXPECT_NE(wire.find("Allow: GET, HEAD\r\n"), std::string::npos) << wire;
}

TEST(HttpExchangeTest, APeerThatLeavesIsNotAnswered) {
  HttpRequestParser parser;
  EXPECT_EQ(NextStep(http::error::end_of_stream, parser, Pages()).kind, HttpStep::Kind::kClose);
  EXPECT_EQ(NextStep(beast::error::timeout, parser, Pages()).kind, HttpStep::Kind::kClose);
}

}  // namespace
}  // namespace torque::server
