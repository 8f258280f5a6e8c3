// StatusPage: the page rendered from hand-built views, and a view gathered from a real store.
#include "server/status_page.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <regex>
#include <vector>

#include "server/sqlite_store.h"
#include "tests/server/test_support.h"
#include "tests/server/store_test_util.h"

namespace torque::server {
namespace {

using testing::FakeClock;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::ScriptedHandler;
using testing::TempDir;

// 2023-11-14T22:13:20Z
constexpr TimeMs kNow = 1'700'000'000'000;
constexpr DurationMs kMin = 60'000;

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// The HTML of the section `id` (from its tag to the next </section>); empty when absent.
std::string SectionOf(const std::string& page, const std::string& id) {
  const size_t start = page.find("<section id=\"" + id + "\">");
  if (start == std::string::npos) return "";
  const size_t end = page.find("</section>", start);
  return page.substr(start, end == std::string::npos ? end : end - start);
}

// Empty when every tag of `xml` (no comments, no <!...>) is closed in order, else what is
// wrong: enough of XML to tell that the inline SVG is well formed.
std::string XmlProblem(const std::string& xml) {
  static const std::regex kTag(R"(<(/?)([a-zA-Z][a-zA-Z0-9-]*)[^<>]*?(/?)>)");
  std::vector<std::string> open;
  std::string outside;
  size_t last = 0;
  for (auto it = std::sregex_iterator(xml.begin(), xml.end(), kTag); it != std::sregex_iterator();
       ++it) {
    const std::smatch& m = *it;
    outside += xml.substr(last, m.position(0) - last);
    last = m.position(0) + m.length(0);
    if (m[1].length() > 0) {
      if (open.empty() || open.back() != m[2].str()) return "unexpected </" + m[2].str() + ">";
      open.pop_back();
    } else if (m[3].length() == 0) {
      open.push_back(m[2].str());
    }
  }
  outside += xml.substr(last);
  if (!open.empty()) return "<" + open.back() + "> not closed";
  if (outside.find_first_of("<>") != std::string::npos) return "stray < or > in text";
  return "";
}

// The <svg> element of the page.
std::string SvgOf(const std::string& page) {
  const size_t start = page.find("<svg");
  const size_t end = page.find("</svg>");
  if (start == std::string::npos || end == std::string::npos) return "";
  return page.substr(start, end + 6 - start);
}

Job MakeJob(JobId id, const std::string& type, const std::string& args, JobState state) {
  Job j;
  j.id = id;
  j.type = type;
  j.args = args;
  j.state = state;
  j.attempts = 1;
  j.max_attempts = 3;
  j.created_at = kNow - 10 * kMin;
  j.started_at = kNow - 4 * kMin;
  if (IsFinal(state)) j.finished_at = kNow - 2 * 3600'000;
  return j;
}

// A view with something in every section.
StatusView FullView() {
  StatusView v;
  v.now = kNow;
  v.version = "1.2.3";
  v.pid = 4242;
  v.started_at = kNow - 3 * 3600'000 - 5 * kMin;
  v.database_path = "/var/lib/torque/torque.db";
  v.database_bytes = 3 * 1024 * 1024 / 2;
  v.accepted = 17;
  StatusView::TypeRow t;
  t.name = "build";
  t.handler = "exec";
  t.concurrent = 2;
  t.counts = {"build", 5, 1, 1, 30, 2, 1};
  StatusView::TypeRow tick;
  tick.name = "tick";
  tick.handler = "exec";
  tick.paused = true;
  tick.schedule = "*/5 * * * *";
  tick.next_fire = kNow + 4 * kMin;
  tick.counts.type = "tick";
  StatusView::TypeRow queue;
  queue.name = "queue";
  queue.handler = "queue_manager";
  queue.counts.type = "queue";
  v.types = {t, tick, queue};
  v.running = {MakeJob(7, "build", "make all", JobState::kRunning)};
  Job failed = MakeJob(6, "build", "make test", JobState::kFailed);
  failed.error = "exit status 2: 3 tests failed";
  v.failures = {failed};
  v.queue_pass_type = "queue";
  Job pass = MakeJob(5, "queue", "", JobState::kDone);
  pass.finished_at = kNow - 30'000;
  pass.result = "queue pass: 3 items in view 'pyrotorque', 1 downloading\nstarted 'x'";
  v.queue_pass = pass;
  v.notifications = Service::OutboxInfo{1, 9, 2, 0};
  for (int i = 0; i < StatusView::kChartMinutes; ++i) {
    StatusView::Minute m;
    m.start = (kNow / kMin - (StatusView::kChartMinutes - 1) + i) * kMin;
    if (i % 30 == 0) m.finished = 4;
    if (i == 90) m.failed = 1;
    if (i == 179) m.finished = 12;
    v.per_minute.push_back(m);
  }
  jobs::RtorrentSample r;
  r.up = true;
  r.client_version = "0.9.8";
  r.library_version = "0.13.8";
  r.up_rate = 2048;
  r.down_rate = 1024 * 1024;
  r.down_max = 4 * 1024 * 1024;
  r.uptime_s = 7200;
  r.views = {{"main", 12}, {"pyrotorque", 3}};
  r.trackers = {{"linux", {10, 1}}};
  v.rtorrent = r;
  return v;
}

TEST(StatusPageTest, EverySectionIsThere) {
  const std::string page = RenderStatusPage(FullView());
  EXPECT_EQ(page.rfind("<!DOCTYPE html>\n<html lang=\"en\">", 0), 0u);
  EXPECT_THAT(page, HasSubstr("<meta name=\"viewport\" content=\"width=device-width"));
  EXPECT_THAT(page, HasSubstr("<meta http-equiv=\"refresh\" content=\"30\">"));
  EXPECT_THAT(page, HasSubstr("</html>\n"));
  for (const char* id : {"summary", "queues", "running", "failures", "schedules", "queue-pass",
                         "rtorrent", "chart"}) {
    EXPECT_EQ(Count(page, std::string("id=\"") + id + "\""), 1u) << id;
  }
  // Nothing to fetch: no scripts, no links, no images, no remote URLs (but the SVG namespace).
  for (const char* external : {"<script", "<link", "<img", "src=", "https://", "url("}) {
    EXPECT_THAT(page, Not(HasSubstr(external))) << external;
  }
  EXPECT_EQ(Count(page, "http://"), 1u);  // xmlns

  const std::string summary = SectionOf(page, "summary");
  EXPECT_THAT(summary, HasSubstr("1.2.3"));
  EXPECT_THAT(summary, HasSubstr("4242"));
  EXPECT_THAT(summary, HasSubstr("3h5m"));
  EXPECT_THAT(summary, HasSubstr("1.5 MiB"));
  EXPECT_THAT(summary, HasSubstr("17 since start"));
  EXPECT_THAT(summary, HasSubstr("1 pending, 9 delivered"));
  EXPECT_THAT(summary, HasSubstr("<span class=\"bad\">2 failed attempts</span>"));

  const std::string queues = SectionOf(page, "queues");
  // queued, running, failed, delayed, done, cancelled, state, concurrent, handler.
  EXPECT_THAT(queues, HasSubstr("<tr><td><code>build</code></td><td class=\"num\">5</td>"
                                "<td class=\"num\">1</td><td class=\"num bad\">2</td>"
                                "<td class=\"num\">1</td><td class=\"num\">30</td>"
                                "<td class=\"num\">1</td><td>active</td>"
                                "<td class=\"num\">2</td><td>exec</td></tr>"));
  EXPECT_THAT(queues, HasSubstr("active, <strong>paused</strong>"));

  const std::string running = SectionOf(page, "running");
  EXPECT_THAT(running, HasSubstr("<code>make all</code>"));
  EXPECT_THAT(running, HasSubstr("2023-11-14T22:09:20Z</time> <span class=\"muted\">(4 min ago)"));
  EXPECT_THAT(running, HasSubstr("1 of 3"));

  const std::string failures = SectionOf(page, "failures");
  EXPECT_THAT(failures, HasSubstr("<pre class=\"bad\">exit status 2: 3 tests failed</pre>"));
  EXPECT_THAT(failures, HasSubstr("(2 h ago)"));
  EXPECT_THAT(failures, HasSubstr("attempt 1 of 3"));

  const std::string schedules = SectionOf(page, "schedules");
  EXPECT_THAT(schedules, HasSubstr("<code>*/5 * * * *</code>"));
  EXPECT_THAT(schedules, HasSubstr("2023-11-14T22:17:20Z</time> <span class=\"muted\">(in 4 min)"));
  EXPECT_THAT(schedules, HasSubstr("(paused)"));
  EXPECT_THAT(schedules, Not(HasSubstr("build")));  // not scheduled

  const std::string pass = SectionOf(page, "queue-pass");
  EXPECT_THAT(pass, HasSubstr("<code>queue</code>: last pass <span>done</span>"));
  EXPECT_THAT(pass, HasSubstr("(30 s ago)"));
  EXPECT_THAT(pass, HasSubstr("<pre>queue pass: 3 items in view &#39;pyrotorque&#39;"));

  const std::string rt = SectionOf(page, "rtorrent");
  EXPECT_THAT(rt, HasSubstr(">up<"));
  EXPECT_THAT(rt, HasSubstr("0.9.8 <span class=\"muted\">(libtorrent 0.13.8)"));
  EXPECT_THAT(rt, HasSubstr("2.0 KiB/s <span class=\"muted\">(no limit)"));
  EXPECT_THAT(rt, HasSubstr("1.0 MiB/s <span class=\"muted\">(max 4.0 MiB/s)"));
  EXPECT_THAT(rt, HasSubstr("<code>pyrotorque</code></td><td class=\"num\">3</td>"));
  EXPECT_THAT(rt, HasSubstr("<td>linux</td><td class=\"num\">10</td><td class=\"num bad\">1</td>"));
}

TEST(StatusPageTest, RefreshCanBeTurnedOff) {
  EXPECT_THAT(RenderStatusPage(FullView(), 5), HasSubstr("content=\"5\""));
  EXPECT_THAT(RenderStatusPage(FullView(), 0), Not(HasSubstr("http-equiv")));
}

TEST(StatusPageTest, UserStringsAreEscaped) {
  StatusView v = FullView();
  const std::string evil = "<script>alert(\"x\" & 'y')</script>";
  v.running[0].args = evil;
  v.failures[0].args = evil;
  v.failures[0].error = evil;
  v.failures[0].type = evil;
  v.types[0].name = evil;
  v.types[1].schedule = evil;
  v.database_path = evil;
  v.queue_pass->result = evil;
  v.rtorrent->client_version = evil;
  v.rtorrent->views = {{evil, 1}};
  v.rtorrent->trackers = {{evil, {1, 0}}};
  const std::string page = RenderStatusPage(v);
  EXPECT_THAT(page, Not(HasSubstr("<script")));
  EXPECT_THAT(page, Not(HasSubstr("alert(\"")));
  const std::string escaped = "&lt;script&gt;alert(&quot;x&quot; &amp; &#39;y&#39;)&lt;/script&gt;";
  EXPECT_EQ(Count(page, escaped), 11u);

  v.rtorrent->up = false;
  v.rtorrent->error = evil;
  EXPECT_THAT(SectionOf(RenderStatusPage(v), "rtorrent"), HasSubstr(escaped));
}

TEST(StatusPageTest, BadBytesAndLongTextAreTamed) {
  StatusView v = FullView();
  v.running[0].args = std::string("a\x01") + "b\xff" + "c\n\u00e9";
  v.failures[0].args = std::string(1000, 'x');
  v.failures[0].args.replace(299, 2, "\u00e9");  // a two-byte character across the cut
  const std::string page = RenderStatusPage(v);
  EXPECT_THAT(SectionOf(page, "running"), HasSubstr("a\uFFFDb\uFFFDc\n\u00e9</code>"));
  const std::string failures = SectionOf(page, "failures");
  EXPECT_THAT(failures, HasSubstr(std::string(299, 'x') + "\u00e9\u2026</code>"));
  EXPECT_THAT(failures, Not(HasSubstr(std::string(302, 'x'))));
}

TEST(StatusPageTest, EmptyStates) {
  StatusView v;
  v.now = kNow;
  v.started_at = kNow;
  const std::string page = RenderStatusPage(v);
  for (const char* id : {"summary", "queues", "running", "failures", "schedules", "queue-pass",
                         "rtorrent", "chart"}) {
    EXPECT_EQ(Count(page, std::string("id=\"") + id + "\""), 1u) << id;
  }
  EXPECT_THAT(SectionOf(page, "summary"), HasSubstr("size unknown"));
  EXPECT_THAT(SectionOf(page, "summary"), Not(HasSubstr("notifications")));
  EXPECT_THAT(SectionOf(page, "queues"), HasSubstr("No job types."));
  EXPECT_THAT(SectionOf(page, "running"), HasSubstr("No job is running."));
  EXPECT_THAT(SectionOf(page, "failures"), HasSubstr("No failed jobs."));
  EXPECT_THAT(SectionOf(page, "schedules"), HasSubstr("No scheduled job types."));
  EXPECT_THAT(SectionOf(page, "queue-pass"), HasSubstr("No queue_manager job type"));
  EXPECT_THAT(SectionOf(page, "rtorrent"), HasSubstr("Not configured."));
  const std::string svg = SvgOf(page);
  EXPECT_EQ(XmlProblem(svg), "");
  EXPECT_THAT(svg, HasSubstr("no jobs finished"));

  v.queue_pass_type = "queue";
  EXPECT_THAT(SectionOf(RenderStatusPage(v), "queue-pass"),
              HasSubstr("<code>queue</code>: no pass yet."));
}

TEST(StatusPageTest, FailedPassAndRtorrentDown) {
  StatusView v = FullView();
  v.queue_pass->state = JobState::kFailed;
  v.queue_pass->error = "cannot reach rTorrent: connection refused";
  v.rtorrent = jobs::RtorrentSample{};
  v.rtorrent->error = "timed out";
  const std::string page = RenderStatusPage(v);
  EXPECT_THAT(SectionOf(page, "queue-pass"), HasSubstr("<span class=\"bad\">failed</span>"));
  EXPECT_THAT(SectionOf(page, "queue-pass"),
              HasSubstr("<pre class=\"bad\">cannot reach rTorrent: connection refused</pre>"));
  EXPECT_THAT(SectionOf(page, "rtorrent"),
              HasSubstr("<strong class=\"bad\">down</strong>: timed out"));
}

TEST(StatusPageTest, ChartWithData) {
  const std::string svg = SvgOf(RenderStatusPage(FullView()));
  ASSERT_NE(svg, "");
  EXPECT_EQ(XmlProblem(svg), "");
  EXPECT_THAT(svg, HasSubstr("<title id=\"chart-title\">Jobs finished per minute over the "
                             "last 3 h: 36 finished, 1 failed</title>"));
  // A bar per busy minute (0, 30, ..., 150 and 179), a red one for the failure, legend swatches.
  EXPECT_EQ(Count(svg, "<rect class=\"done\""), 7u + 1);
  EXPECT_EQ(Count(svg, "<rect class=\"fail\""), 1u + 1);
  EXPECT_EQ(Count(svg, "<g>"), 7u);
  // The busiest minute is the full height and the y axis says how many that is.
  EXPECT_THAT(svg, HasSubstr(">12</text>"));
  EXPECT_THAT(svg, HasSubstr("height=\"156.00\"/><title>2023-11-14T22:13:00Z: 12 finished"));
  EXPECT_THAT(svg, HasSubstr("<title>2023-11-14T20:44:00Z: 4 finished, 1 failed</title>"));
  for (const char* mark : {">now<", ">1 h ago<", ">2 h ago<", ">3 h ago<"}) {
    EXPECT_THAT(svg, HasSubstr(mark)) << mark;
  }
  EXPECT_THAT(svg, Not(HasSubstr("no jobs finished")));
}

TEST(StatusPageTest, ChartWithoutData) {
  StatusView v = FullView();
  for (StatusView::Minute& m : v.per_minute) m = {m.start, 0, 0};
  const std::string svg = SvgOf(RenderStatusPage(v));
  EXPECT_EQ(XmlProblem(svg), "");
  EXPECT_THAT(svg, HasSubstr("no jobs finished in the last 3 h"));
  EXPECT_EQ(Count(svg, "<g>"), 0u);
  EXPECT_THAT(svg, HasSubstr(">now<"));
}

// GatherStatus against a real store: jobs put in each state by hand (the dispatcher
// is configured but not started, so nothing runs behind the test's back).
class GatherStatusTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = SqliteStore::Open(SqliteStoreOptions{dir_.File("torque.db")});
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    store_ = std::move(*opened);
    JobTypeConfig build;
    build.name = "build";
    build.concurrent = 3;
    JobTypeConfig tick;
    tick.name = "tick";
    tick.schedule = "*/5 * * * *";
    JobTypeConfig queue;
    queue.name = "queue";
    queue.handler = "queue_manager";
    config_.types = {{"build", build}, {"tick", tick}, {"queue", queue}};
    dispatcher_ = std::make_unique<Dispatcher>(*store_, clock_, DispatcherOptions{});
    auto handler = std::make_shared<ScriptedHandler>();
    dispatcher_->Configure(config_, {{"build", handler}, {"tick", handler}, {"queue", handler}},
                           {"tick"});
    intake_ = std::make_unique<Intake>(*store_, *dispatcher_, clock_,
                                       std::make_shared<const Config>(config_));
    sources_.store = store_.get();
    sources_.dispatcher = dispatcher_.get();
    sources_.intake = intake_.get();
    sources_.clock = &clock_;
    sources_.started_at = clock_.Now() - 3600'000;
    sources_.database_path = dir_.File("torque.db");
    sources_.next_fire = [this](const std::string& type) -> std::optional<TimeMs> {
      if (type == "tick") return clock_.Now() + 4 * kMin;
      return std::nullopt;
    };
    sources_.outbox = [] { return Service::OutboxInfo{2, 5, 1, 0}; };
  }

  // A job of `type` inserted and claimed at `started`.
  JobId Start(const std::string& type, const std::string& args, TimeMs started) {
    NewJob job;
    job.type = type;
    job.args = args;
    job.created_at = started;
    auto inserted = store_->Insert({job});
    EXPECT_TRUE(inserted.ok());
    auto claimed = store_->Claim(type, 1, started);
    EXPECT_TRUE(claimed.ok() && claimed->size() == 1);
    return claimed.ok() && !claimed->empty() ? claimed->front().id : 0;
  }
  void End(JobId id, JobState state, TimeMs at, const std::string& error = "",
           const std::string& result = "") {
    ASSERT_TRUE(store_->Finish(id, store_test::Ended(state, at, error, result)).ok());
  }

  TempDir dir_;
  FakeClock clock_;
  Config config_;
  std::unique_ptr<SqliteStore> store_;
  std::unique_ptr<Dispatcher> dispatcher_;
  std::unique_ptr<Intake> intake_;
  StatusSources sources_;
};

TEST_F(GatherStatusTest, ReadsEverySource) {
  const TimeMs now = clock_.Now();
  const TimeMs minute_start = now / kMin * kMin;
  End(Start("build", "make a", now - 10 * kMin), JobState::kDone, minute_start - 2 * kMin);
  End(Start("build", "make b", now - 10 * kMin), JobState::kFailed, minute_start - 2 * kMin + 5,
      "exit status 1");
  End(Start("build", "make c", now - 10 * kMin), JobState::kFailed, minute_start - kMin,
      "exit status 2");
  End(Start("queue", "", now - 5 * kMin), JobState::kDone, now - 5 * kMin, "", "old pass");
  End(Start("queue", "", now - kMin), JobState::kFailed, now - kMin, "rTorrent down", "last pass");
  End(Start("build", "ancient", now - 4 * 3600'000), JobState::kDone, now - 4 * 3600'000);
  const JobId late = Start("build", "make late", now - 30'000);
  const JobId early = Start("tick", "", now - 60'000);
  NewJob queued;
  queued.type = "gone";  // a type no longer configured
  queued.args = "left over";
  ASSERT_TRUE(store_->Insert({queued}).ok());

  jobs::RtorrentSample sample;
  sample.up = true;
  sample.client_version = "0.9.8";
  auto view = GatherStatus(sources_, sample);
  ASSERT_TRUE(view.ok()) << view.status().ToString();
  const StatusView& v = *view;

  EXPECT_EQ(v.now, now);
  EXPECT_EQ(v.version, TORQUE_VERSION);
  EXPECT_EQ(v.pid, getpid());
  EXPECT_EQ(v.started_at, now - 3600'000);
  EXPECT_GT(v.database_bytes, 0);
  EXPECT_EQ(v.database_path, dir_.File("torque.db"));
  ASSERT_TRUE(v.notifications.has_value());
  EXPECT_EQ(v.notifications->delivered, 5);

  ASSERT_EQ(v.types.size(), 4u);
  EXPECT_EQ(v.types[0].name, "build");
  EXPECT_EQ(v.types[0].handler, "exec");
  EXPECT_EQ(v.types[0].concurrent, 3);
  EXPECT_EQ(v.types[0].counts.done, 2);
  EXPECT_EQ(v.types[0].counts.failed, 2);
  EXPECT_EQ(v.types[0].counts.running, 1);
  EXPECT_EQ(v.types[1].name, "gone");
  EXPECT_EQ(v.types[1].handler, "");
  EXPECT_FALSE(v.types[1].active);
  EXPECT_EQ(v.types[1].counts.queued, 1);
  EXPECT_EQ(v.types[2].name, "queue");
  EXPECT_EQ(v.types[3].name, "tick");
  EXPECT_TRUE(v.types[3].paused);
  EXPECT_EQ(v.types[3].schedule, "*/5 * * * *");
  EXPECT_EQ(v.types[3].next_fire, now + 4 * kMin);
  EXPECT_FALSE(v.types[0].next_fire.has_value());

  ASSERT_EQ(v.running.size(), 2u);  // oldest first
  EXPECT_EQ(v.running[0].id, early);
  EXPECT_EQ(v.running[1].id, late);
  ASSERT_EQ(v.failures.size(), 3u);  // newest first
  EXPECT_EQ(v.failures[0].error, "rTorrent down");
  EXPECT_EQ(v.failures[1].error, "exit status 2");
  EXPECT_EQ(v.failures[2].error, "exit status 1");

  EXPECT_EQ(v.queue_pass_type, "queue");
  ASSERT_TRUE(v.queue_pass.has_value());
  EXPECT_EQ(v.queue_pass->result, "last pass");

  ASSERT_EQ(v.per_minute.size(), static_cast<size_t>(StatusView::kChartMinutes));
  EXPECT_EQ(v.per_minute.back().start, minute_start);
  EXPECT_EQ(v.per_minute.front().start, minute_start - (StatusView::kChartMinutes - 1) * kMin);
  int64_t finished = 0;
  for (const StatusView::Minute& m : v.per_minute) finished += m.finished;
  EXPECT_EQ(finished, 5);  // not the one 4 h ago
  const StatusView::Minute& two_ago = v.per_minute[StatusView::kChartMinutes - 3];
  EXPECT_EQ(two_ago.finished, 2);
  EXPECT_EQ(two_ago.failed, 1);
  ASSERT_TRUE(v.rtorrent.has_value());
  EXPECT_EQ(v.rtorrent->client_version, "0.9.8");

  // And the page shows it.
  const std::string page = RenderStatusPage(v);
  EXPECT_THAT(SectionOf(page, "running"), HasSubstr("make late"));
  EXPECT_THAT(SectionOf(page, "failures"), HasSubstr("exit status 2"));
  EXPECT_THAT(SectionOf(page, "queue-pass"), HasSubstr("<pre>last pass</pre>"));
}

TEST_F(GatherStatusTest, EmptyStoreAndNoRtorrent) {
  config_.types.erase("queue");
  intake_->SetConfig(std::make_shared<const Config>(config_));
  sources_.outbox = nullptr;
  auto view = GatherStatus(sources_, std::nullopt);
  ASSERT_TRUE(view.ok()) << view.status().ToString();
  EXPECT_EQ(view->types.size(), 2u);
  EXPECT_TRUE(view->running.empty());
  EXPECT_TRUE(view->failures.empty());
  EXPECT_EQ(view->queue_pass_type, "");
  EXPECT_FALSE(view->notifications.has_value());
  EXPECT_FALSE(view->rtorrent.has_value());
  EXPECT_EQ(view->per_minute.size(), static_cast<size_t>(StatusView::kChartMinutes));
  const std::string page = RenderStatusPage(*view);
  EXPECT_THAT(SectionOf(page, "rtorrent"), HasSubstr("Not configured."));
  EXPECT_THAT(SvgOf(page), HasSubstr("no jobs finished in the last 3 h"));
}

}  // namespace
}  // namespace torque::server
