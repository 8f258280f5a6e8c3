#include "server/http_exchange.h"

#include <boost/asio/error.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>
#include <exception>

namespace torque::server {

namespace beast = boost::beast;
namespace http = beast::http;

namespace {

HttpStep Answer(unsigned status, std::string body, bool keep_alive = false, bool head = false) {
  HttpStep step;
  step.kind = HttpStep::Kind::kAnswer;
  step.response.status = status;
  step.response.body = std::move(body);
  step.keep_alive = keep_alive;
  step.head = head;
  return step;
}

}  // namespace

void LimitRequest(HttpRequestParser& parser, size_t header_limit) {
  parser.header_limit(static_cast<std::uint32_t>(header_limit));
  parser.body_limit(0);
}

HttpStep NextStep(beast::error_code ec, const HttpRequestParser& parser,
                  const std::map<std::string, HttpPage>& pages) {
  if (ec == http::error::header_limit) return Answer(431, "request header too large\n");
  if (ec == http::error::body_limit) return Answer(413, "a request has no body here\n");
  if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
      ec == boost::asio::error::operation_aborted) {
    return HttpStep{};
  }
  if (ec.category() == http::make_error_code(http::error::bad_target).category()) {
    return Answer(400, "bad request\n");
  }
  if (ec) return HttpStep{};

  const auto& req = parser.get();
  const bool keep_alive = req.keep_alive();
  const bool head = req.method() == http::verb::head;
  std::string path(req.target());
  if (size_t q = path.find('?'); q != std::string::npos) path.resize(q);
  auto page = pages.find(path);
  if (page == pages.end()) return Answer(404, "not found; try /metrics\n", keep_alive, head);
  if (req.method() != http::verb::get && !head) {
    HttpStep step = Answer(405, "only GET and HEAD\n", keep_alive);
    step.allow = true;
    return step;
  }
  HttpStep step;
  step.kind = HttpStep::Kind::kMakePage;
  step.page = &page->second;
  step.keep_alive = keep_alive;
  step.head = head;
  return step;
}

HttpResponse MakePage(const HttpPage& page) {
  try {
    return page();
  } catch (const std::exception& e) {
    HttpResponse r;
    r.status = 500;
    r.body = std::string("internal error: ") + e.what() + "\n";
    return r;
  }
}

HttpWireResponse WireResponse(HttpResponse r, const HttpStep& step) {
  HttpWireResponse res(static_cast<http::status>(r.status), 11);
  res.set(http::field::server, "torqued");
  res.set(http::field::content_type, r.content_type);
  res.set(http::field::cache_control, "no-store");
  res.set("X-Content-Type-Options", "nosniff");
  if (step.allow) res.set(http::field::allow, "GET, HEAD");
  if (r.content_type.rfind("text/html", 0) == 0) {
    // The status page is self-contained: inline CSS and SVG, nothing to load or run.
    res.set("Content-Security-Policy",
            "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
            "frame-ancestors 'none'");
  }
  res.keep_alive(step.keep_alive);
  res.body() = std::move(r.body);
  res.prepare_payload();
  if (step.head) res.body().clear();  // Content-Length stays that of the GET
  return res;
}

}  // namespace torque::server
