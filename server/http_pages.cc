#include "server/http_pages.h"

#include <filesystem>
#include <future>
#include <mutex>

#include "core/prometheus_text.h"
#include "server/status_page.h"

namespace torque::server {
namespace {

// One rTorrent sample at a time: a request that comes while one is taken waits for it
// instead of asking again (a hung rTorrent then holds one pool thread, not all of them).
class SharedSample {
 public:
  jobs::RtorrentSample Take(const std::shared_ptr<const jobs::RtorrentMetrics>& metrics,
                            DurationMs timeout) {
    std::unique_lock lock(mu_);
    if (pending_.valid() && metrics == pending_for_) {
      auto pending = pending_;
      lock.unlock();
      return pending.get();
    }
    std::promise<jobs::RtorrentSample> promise;
    pending_ = promise.get_future().share();
    pending_for_ = metrics;
    lock.unlock();
    jobs::RtorrentSample sample =
        metrics->Sample(std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout));
    promise.set_value(sample);
    lock.lock();
    pending_ = {};
    pending_for_ = nullptr;
    return sample;
  }

 private:
  std::mutex mu_;
  std::shared_future<jobs::RtorrentSample> pending_;          // guarded by mu_
  std::shared_ptr<const jobs::RtorrentMetrics> pending_for_;  // guarded by mu_
};

// The rTorrent part in effect now, and its sample; nullopt when rTorrent is not asked.
std::optional<std::pair<std::shared_ptr<const jobs::RtorrentMetrics>, jobs::RtorrentSample>>
SampleNow(const HttpPageSources& sources, SharedSample& shared) {
  auto metrics = sources.rtorrent ? sources.rtorrent() : nullptr;
  if (!metrics) return std::nullopt;
  const DurationMs timeout = sources.rtorrent_timeout ? sources.rtorrent_timeout() : 5'000;
  return std::make_pair(metrics, shared.Take(metrics, timeout));
}

HttpResponse Error(const Status& status) {
  HttpResponse r;
  r.status = 500;
  r.body = status.message() + "\n";
  return r;
}

}  // namespace

std::map<std::string, HttpPage> MakeHttpPages(HttpPageSources sources) {
  auto shared = std::make_shared<const HttpPageSources>(std::move(sources));
  auto sample = std::make_shared<SharedSample>();
  std::map<std::string, HttpPage> pages;
  pages["/metrics"] = [shared, sample] {
    auto facts = GatherDaemonFacts(shared->daemon);
    if (!facts.ok()) return Error(facts.status());
    HttpResponse r;
    r.content_type = kPrometheusContentType;
    r.body = RenderDaemonMetrics(*facts);
    if (auto rt = SampleNow(*shared, *sample)) r.body += rt->first->Exposition(rt->second);
    return r;
  };
  pages["/"] = [shared, sample] {
    StatusSources s;
    s.store = shared->daemon.store;
    s.dispatcher = shared->daemon.dispatcher;
    s.intake = shared->daemon.intake;
    s.clock = shared->daemon.clock;
    s.started_at = shared->daemon.started_at;
    s.database_path = shared->database_path;
    s.next_fire = shared->next_fire;
    s.outbox = shared->daemon.outbox;
    std::optional<jobs::RtorrentSample> rtorrent;
    if (auto rt = SampleNow(*shared, *sample)) rtorrent = std::move(rt->second);
    auto view = GatherStatus(s, std::move(rtorrent));
    if (!view.ok()) return Error(view.status());
    HttpResponse r;
    r.content_type = "text/html; charset=utf-8";
    r.body = RenderStatusPage(*view);
    return r;
  };
  return pages;
}

Result<std::shared_ptr<const jobs::RtorrentMetrics>> RtorrentMetricsFor(
    const jobs::HandlerEnv& env) {
  const Config& config = *env.config;
  if (!config.http.exporter.empty()) {
    auto type = config.types.find(config.http.exporter);
    if (type != config.types.end()) return jobs::RtorrentMetrics::Create(type->second, env);
  }
  std::error_code ec;
  if (config.rtorrent.url.empty() && !std::filesystem::exists(config.rtorrent.rtorrent_rc, ec)) {
    return std::shared_ptr<const jobs::RtorrentMetrics>();
  }
  return jobs::RtorrentMetrics::Default(env);
}

}  // namespace torque::server
