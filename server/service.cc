#include "server/service.h"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include "core/duration.h"
#include "server/logging.h"

namespace torque::server {

using protocol::ErrorWord;
using protocol::FormatError;
using protocol::FormatOk;
using protocol::Verb;
using Json = nlohmann::json;

namespace {

std::string Dump(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

std::string JobReply(const Job& job) { return FormatOk(Dump(JobToJson(job))); }

std::string ErrorReply(const Status& status) {
  switch (status.code()) {
    case Status::Code::kNotFound: return FormatError(ErrorWord::kNotFound, status.message());
    case Status::Code::kFailedPrecondition: return FormatError(ErrorWord::kState, status.message());
    case Status::Code::kInvalidArgument: return FormatError(ErrorWord::kSyntax, status.message());
    default: return StoreErrorReply(status);
  }
}

}  // namespace

std::string StoreErrorReply(const Status& status) {
  const protocol::ProtocolError refusal = StoreRefusal(status);
  return FormatError(refusal.word, refusal.text);
}

// One WAIT in progress.
struct Service::Waiter {
  JobId id = 0;
  JobId from = 0;
  Reply reply;
  std::unique_ptr<boost::asio::steady_timer> timer;
  std::atomic<bool> done{false};
};

Service::Service(Store& store, Dispatcher& dispatcher, Intake& intake, const Clock& clock,
                 boost::asio::any_io_executor io, ServiceInfo info)
    : store_(store),
      dispatcher_(dispatcher),
      intake_(intake),
      clock_(clock),
      io_(std::move(io)),
      info_(std::move(info)),
      log_(MakeLogger("service")) {}

Service::~Service() { blocking_.join(); }

void Service::Handle(const protocol::Request& req, const PeerInfo& peer, Reply reply) {
  switch (req.verb) {
    case Verb::kSubmit:
      return Submit(req, peer, std::move(reply));
    case Verb::kWait:
      return Wait(req, std::move(reply));
    case Verb::kPing:
      return reply(FormatOk("pong"));
    case Verb::kVersion:
      return reply(FormatOk(Dump({{"version", TORQUE_VERSION}, {"protocol", protocol::kVersion}})));
    case Verb::kStatus:
      return Blocking(std::move(reply), [this, id = req.id] {
        auto job = store_.Get(id);
        return job.ok() ? JobReply(*job) : ErrorReply(job.status());
      });
    case Verb::kList:
      return Blocking(std::move(reply), [this, q = req.list] {
        ListFilter filter{q.type, q.state, q.before, q.limit};
        if (filter.type) {
          if (const JobTypeConfig* t = intake_.config()->FindType(*filter.type)) filter.type = t->name;
        }
        auto jobs = store_.List(filter);
        if (!jobs.ok()) return ErrorReply(jobs.status());
        Json list = Json::array();
        for (const Job& job : *jobs) list.push_back(JobToJson(job));
        return FormatOk(Dump(list));
      });
    case Verb::kCancel:
      return Blocking(std::move(reply), [this, id = req.id] {
        auto job = store_.Cancel(id, clock_.Now());
        if (!job.ok()) return ErrorReply(job.status());
        if (job->state == JobState::kRunning) {
          dispatcher_.CancelRunning(id);
        } else {
          OnFinal(*job);
        }
        log_->info("job {} cancelled ({})", id, JobStateName(job->state));
        return JobReply(*job);
      });
    case Verb::kRetry:
      return Blocking(std::move(reply), [this, id = req.id] {
        auto old = store_.Get(id);
        if (!old.ok()) return ErrorReply(old.status());
        auto config = intake_.config();
        const JobTypeConfig* type = config->FindType(old->type);
        int extra = type ? type->retries + 1 : 1;
        auto job = store_.Retry(id, clock_.Now(), extra);
        if (!job.ok()) return ErrorReply(job.status());
        dispatcher_.Notify(job->type, job->run_at);
        log_->info("job {} queued again by RETRY", id);
        return JobReply(*job);
      });
    case Verb::kStats:
      return Blocking(std::move(reply), [this] { return Stats(); });
    case Verb::kTypes:
      return Blocking(std::move(reply), [this] { return Types(); });
    case Verb::kPause:
    case Verb::kResume:
      return Blocking(std::move(reply), [this, word = req.name, paused = req.verb == Verb::kPause] {
        return Pause(word, paused);
      });
    case Verb::kReload:
      return reply(FormatError(ErrorWord::kVerb, "RELOAD is not supported by this version"));
  }
  reply(FormatError(ErrorWord::kInternal, "unhandled verb"));
}

void Service::Submit(const protocol::Request& req, const PeerInfo& peer, Reply reply) {
  const std::string source = "uid " + std::to_string(peer.uid) + " pid " + std::to_string(peer.pid);
  intake_.Take(
      req.name, req.args, req.options, source,
      [reply = std::move(reply)](Intake::Outcome outcome) {
        if (const auto* refusal = std::get_if<protocol::ProtocolError>(&outcome)) {
          return reply(FormatError(refusal->word, refusal->text));
        }
        const InsertResult& r = std::get<InsertResult>(outcome);
        reply(protocol::FormatAck(r.id, r.existing));
      },
      CommitBy::kCaller);
  // Like Redis's event loop: the submissions read in one round of the io thread share one
  // commit, made after the round on the io thread itself when the store's writer thread
  // is idle (no hand-over to it and back).
  if (!commit_posted_.exchange(true)) {
    boost::asio::post(io_, [this] {
      commit_posted_ = false;
      store_.CommitQueued();
    });
  }
}

void Service::Wait(const protocol::Request& req, Reply reply) {
  if (shutting_down_) {
    return reply(FormatError(ErrorWord::kShutdown, "torqued is shutting down"));
  }
  auto waiter = std::make_shared<Waiter>();
  waiter->id = req.id;
  waiter->reply = std::move(reply);
  if (req.wait_from != 0 && dispatcher_.BeginWait(req.wait_from)) waiter->from = req.wait_from;
  {
    std::lock_guard lock(waiters_mu_);
    waiters_.emplace(req.id, waiter);
  }
  if (req.wait_timeout) {
    waiter->timer = std::make_unique<boost::asio::steady_timer>(
        io_, std::chrono::milliseconds(*req.wait_timeout));
    waiter->timer->async_wait([this, waiter, t = *req.wait_timeout](auto ec) {
      if (ec) return;
      FinishWaiter(waiter, FormatError(ErrorWord::kTimeout,
                                       "job " + std::to_string(waiter->id) + " not finished after " +
                                           FormatDuration(t)));
    });
  }
  // Registered first, read second: a job that ends in between is not missed.
  boost::asio::post(blocking_, [this, waiter] {
    auto job = store_.Get(waiter->id);
    if (!job.ok()) return FinishWaiter(waiter, ErrorReply(job.status()));
    if (IsFinal(job->state)) FinishWaiter(waiter, JobReply(*job));
  });
}

void Service::FinishWaiter(const std::shared_ptr<Waiter>& waiter, std::string line) {
  if (waiter->done.exchange(true)) return;
  {
    std::lock_guard lock(waiters_mu_);
    auto [begin, end] = waiters_.equal_range(waiter->id);
    for (auto it = begin; it != end; ++it) {
      if (it->second == waiter) {
        waiters_.erase(it);
        break;
      }
    }
  }
  if (waiter->timer) {
    boost::asio::post(io_, [waiter] { waiter->timer->cancel(); });
  }
  if (waiter->from != 0) dispatcher_.EndWait(waiter->from);
  waiter->reply(std::move(line));
}

void Service::OnFinal(const Job& job) {
  std::vector<std::shared_ptr<Waiter>> ready;
  {
    std::lock_guard lock(waiters_mu_);
    auto [begin, end] = waiters_.equal_range(job.id);
    for (auto it = begin; it != end; ++it) ready.push_back(it->second);
  }
  if (ready.empty()) return;
  std::string line = JobReply(job);
  for (auto& w : ready) FinishWaiter(w, line);
}

void Service::BeginShutdown() {
  shutting_down_ = true;
  intake_.BeginShutdown();
  std::vector<std::shared_ptr<Waiter>> all;
  {
    std::lock_guard lock(waiters_mu_);
    for (auto& [id, w] : waiters_) all.push_back(w);
  }
  for (auto& w : all) {
    FinishWaiter(w, FormatError(ErrorWord::kShutdown,
                                "torqued is shutting down; job " + std::to_string(w->id) +
                                    " keeps its place in the queue"));
  }
}

void Service::Blocking(Reply reply, std::function<std::string()> fn) {
  boost::asio::post(blocking_, [reply = std::move(reply), fn = std::move(fn)] {
    std::string line;
    try {
      line = fn();
    } catch (const std::exception& e) {
      line = FormatError(ErrorWord::kInternal, e.what());
    }
    reply(std::move(line));
  });
}

std::string Service::Stats() {
  const TimeMs now = clock_.Now();
  auto counts = store_.Counts(now);
  if (!counts.ok()) return ErrorReply(counts.status());
  auto size = store_.SizeBytes();
  auto activity = store_.Activity(now - kActivityWindowMs);
  if (!activity.ok()) return ErrorReply(activity.status());
  const double minutes = kActivityWindowMs / 60'000.0;
  Json types = Json::array();
  int64_t finished = 0;
  int64_t recent = 0;
  for (const TypeCounts& c : *counts) {
    Json window = {{"finished", 0}, {"failed", 0}, {"per_minute", 0.0}, {"wait_ms_avg", nullptr},
                   {"wait_ms_max", nullptr}, {"run_ms_avg", nullptr}};
    for (const TypeActivity& a : *activity) {
      if (a.type != c.type) continue;
      recent += a.finished;
      window = {{"finished", a.finished},
                {"failed", a.failed},
                {"per_minute", a.finished / minutes},
                {"wait_ms_avg", a.wait_ms_avg},
                {"wait_ms_max", a.wait_ms_max},
                {"run_ms_avg", a.run_ms_avg}};
    }
    types.push_back({{"type", c.type},
                     {"queued", c.queued},
                     {"delayed", c.delayed},
                     {"running", c.running},
                     {"done", c.done},
                     {"failed", c.failed},
                     {"cancelled", c.cancelled},
                     {"paused", dispatcher_.Runtime(c.type).paused},
                     {"recent", window}});
    finished += c.done + c.failed + c.cancelled;
  }
  Json outbox = nullptr;
  if (outbox_) {
    OutboxInfo o = outbox_();
    outbox = {{"pending", o.pending},
              {"delivered", o.delivered},
              {"failed_attempts", o.failed_attempts},
              {"dropped", o.dropped}};
  }
  // The live nodes working on the database: this one, and with a shared database the others.
  Json nodes = Json::array();
  if (auto list = store_.Nodes(); list.ok()) {
    for (const NodeInfo& n : *list) {
      if (n.dead) continue;
      nodes.push_back({{"id", n.id},
                       {"name", n.name},
                       {"this", n.name == info_.node_name},
                       {"running", n.running},
                       {"started_at", n.started_at},
                       {"heartbeat_age_s", (now - n.heartbeat_at) / 1000.0}});
    }
  }
  Json stats = {
      {"version", TORQUE_VERSION},
      {"protocol", protocol::kVersion},
      {"pid", static_cast<int64_t>(getpid())},
      {"uptime", (now - info_.started_at) / 1000.0},
      {"database", {{"path", info_.database_path}, {"size_bytes", size.ok() ? *size : -1}}},
      {"types", types},
      {"totals",
       {{"submitted", intake_.accepted()},
        {"finished", finished},
        {"recent_window_s", kActivityWindowMs / 1000},
        {"recent_finished", recent},
        {"recent_per_minute", recent / minutes}}},
      {"notifications", outbox},
      {"nodes", nodes},
  };
  return FormatOk(Dump(stats));
}

std::string Service::Types() {
  auto counts = store_.Counts(clock_.Now());
  if (!counts.ok()) return ErrorReply(counts.status());
  Json list = Json::array();
  auto config = intake_.config();
  for (const auto& [name, t] : config->types) {
    int64_t queued = 0;
    for (const TypeCounts& c : *counts) {
      if (c.type == name) queued = c.queued;
    }
    TypeRuntime rt = dispatcher_.Runtime(name);
    std::optional<TimeMs> next_fire;
    if (next_fire_ && !t.schedule.empty()) next_fire = next_fire_(name);
    list.push_back({{"name", name},
                    {"handler", t.handler},
                    {"active", t.active},
                    {"concurrent", t.concurrent},
                    {"aliases", t.aliases},
                    {"paused", rt.paused},
                    {"running", rt.running},
                    {"queued", queued},
                    {"schedule", t.schedule.empty() ? Json(nullptr) : Json(t.schedule)},
                    {"next_fire", next_fire ? Json(FormatTimeUtc(*next_fire)) : Json(nullptr)},
                    {"retries", t.retries},
                    {"timeout", t.timeout == 0 ? Json(nullptr) : Json(t.timeout / 1000.0)},
                    {"priority", t.priority},
                    {"coalesce", t.coalesce}});
  }
  return FormatOk(Dump(list));
}

std::string Service::Pause(const std::string& word, bool paused) {
  auto config = intake_.config();
  const JobTypeConfig* type = config->FindType(word);
  if (!type) return FormatError(ErrorWord::kUnknown, "unknown job type '" + word + "'");
  if (Status s = store_.SetPaused(type->name, paused); !s.ok()) return ErrorReply(s);
  dispatcher_.SetPaused(type->name, paused);
  log_->info("job type {} {}", type->name, paused ? "paused" : "resumed");
  return FormatOk(Dump({{"type", type->name}, {"paused", paused}}));
}

}  // namespace torque::server
