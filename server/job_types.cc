#include "server/job_types.h"

#include "jobs/handler_table.h"
#include "server/logging.h"
#include "server/type_state.h"

namespace torque::server {
namespace {

bool SameSettings(const JobTypeConfig& a, const JobTypeConfig& b) {
  if (a.active != b.active || a.settings.size() != b.settings.size()) return false;
  for (const auto& [key, setting] : a.settings) {
    auto it = b.settings.find(key);
    if (it == b.settings.end() || it->second.value != setting.value) return false;
  }
  return true;
}

// What every handler may read besides its own type.
bool SameShared(const Config& a, const Config& b) {
  const RtorrentConfig& x = a.rtorrent;
  const RtorrentConfig& y = b.rtorrent;
  if (x.url != y.url || x.rtorrent_rc != y.rtorrent_rc || x.timeout != y.timeout) return false;
  if (a.torque_globals.size() != b.torque_globals.size()) return false;
  for (const auto& [key, setting] : a.torque_globals) {
    auto it = b.torque_globals.find(key);
    if (it == b.torque_globals.end() || it->second.value != setting.value) return false;
  }
  return true;
}

const JobTypeConfig* Active(const Config& config, const std::string& name) {
  auto it = config.types.find(name);
  return it != config.types.end() && it->second.active ? &it->second : nullptr;
}

// A refusal of the intake as a JobSink failure.
Status SinkStatus(const protocol::ProtocolError& e) {
  using protocol::ErrorWord;
  switch (e.word) {
    case ErrorWord::kUnknown:
      return Status::NotFound(e.text);
    case ErrorWord::kDisabled:
      return Status::FailedPrecondition(e.text);
    case ErrorWord::kShutdown:
      return Status::Unavailable(e.text);
    case ErrorWord::kStore:
      return Status::IoError(e.text);
    case ErrorWord::kSyntax:
      return Status::InvalidArgument(e.text);
    default:
      return Status::Internal(e.text);
  }
}

}  // namespace

TypeChanges CompareTypes(const Config& before, const Config& after) {
  TypeChanges c;
  const bool shared = SameShared(before, after);
  for (const auto& [name, t] : after.types) {
    if (!t.active) continue;
    const JobTypeConfig* old = Active(before, name);
    if (!old) {
      c.added.push_back(name);
    } else if (!shared || !SameSettings(*old, t)) {
      c.changed.push_back(name);
    } else {
      c.kept.push_back(name);
    }
  }
  for (const auto& [name, t] : before.types) {
    if (t.active && !Active(after, name)) c.removed.push_back(name);
  }
  return c;
}

// Submissions of one type's handler, through the intake like any other.
class JobTypes::Sink : public jobs::JobSink {
 public:
  Sink(Intake& intake, std::string type) : intake_(intake), source_("job type " + type) {}
  using jobs::JobSink::Submit;

  void Submit(const std::string& word, std::string args, const protocol::SubmitOptions& options,
              Done done) override {
    intake_.Take(word, std::move(args), options, source_,
                 [done = std::move(done)](Intake::Outcome outcome) {
                   if (const auto* refusal = std::get_if<protocol::ProtocolError>(&outcome)) {
                     return done(SinkStatus(*refusal));
                   }
                   const InsertResult& r = std::get<InsertResult>(outcome);
                   done(Submitted{r.id, r.existing});
                 });
  }

 private:
  Intake& intake_;
  const std::string source_;
};

// A handler in effect and what its host lends it.
struct JobTypes::Entry {
  std::shared_ptr<jobs::Handler> handler;
  std::unique_ptr<TypeState> state;
  std::unique_ptr<Sink> sink;
  jobs::HandlerHost host;
  bool started = false;
};

Result<JobTypes::Plan> JobTypes::Prepare(const jobs::HandlerEnv& env) {
  Plan plan;
  plan.config = env.config;
  for (const auto& [name, type] : env.config->types) {
    if (!type.active) continue;
    auto handler = jobs::MakeHandler(type, env);
    if (!handler.ok()) return handler.status();
    plan.handlers[name] = std::move(*handler);
  }
  return plan;
}

JobTypes::JobTypes(Store& store, Intake& intake, boost::asio::any_io_executor executor)
    : store_(store), intake_(intake), executor_(std::move(executor)) {}

JobTypes::~JobTypes() { StopAll(); }

Dispatcher::Handlers JobTypes::Apply(Plan plan, TypeChanges* reported) {
  const Config empty;
  const TypeChanges changes = CompareTypes(config_ ? *config_ : empty, *plan.config);
  if (reported) *reported = changes;
  std::map<std::string, std::unique_ptr<Entry>> next;
  for (const std::string& name : changes.kept) {
    auto it = entries_.find(name);
    if (it == entries_.end()) continue;
    next[name] = std::move(it->second);
    entries_.erase(it);
  }
  // What is left runs an old configuration: stop it before its successor starts (two
  // watchers of one tree, two listeners on one port).
  for (auto& [name, entry] : entries_) {
    if (entry->started) entry->handler->Stop();
  }
  entries_.clear();
  for (auto& [name, handler] : plan.handlers) {
    if (next.count(name)) continue;
    const JobTypeConfig& type = plan.config->types.at(name);
    auto entry = std::make_unique<Entry>();
    entry->handler = std::move(handler);
    entry->state = std::make_unique<TypeState>(store_, name);
    entry->sink = std::make_unique<Sink>(intake_, name);
    entry->host.jobs = entry->sink.get();
    entry->host.state = entry->state.get();
    entry->host.executor = executor_;
    entry->host.log = MakeLogger("job." + name, type.log_level);
    entry->started = true;
    if (Status s = entry->handler->Start(entry->host); !s.ok()) {
      entry->host.log->error("job type {}: its background part did not start: {}", name,
                             s.message());
    }
    next[name] = std::move(entry);
  }
  entries_ = std::move(next);
  config_ = std::move(plan.config);
  Dispatcher::Handlers handlers;
  for (const auto& [name, entry] : entries_) handlers[name] = entry->handler;
  return handlers;
}

void JobTypes::StopAll() {
  for (auto& [name, entry] : entries_) {
    if (entry->started) entry->handler->Stop();
    entry->started = false;
  }
}

}  // namespace torque::server
