#include "server/intake.h"

#include "server/logging.h"

namespace torque::server {

using protocol::ErrorWord;

NewJob MakeJob(const JobTypeConfig& type, std::string args, const protocol::SubmitOptions& opt,
               TimeMs now) {
  NewJob job;
  job.type = type.name;
  job.priority = opt.priority.value_or(type.priority);
  job.run_at = opt.at ? *opt.at : now + opt.delay.value_or(0);
  job.max_attempts = 1 + opt.retries.value_or(type.retries);
  job.timeout = opt.timeout.value_or(type.timeout);
  if (opt.unique) {
    job.unique_key = *opt.unique;
  } else if (type.coalesce) {
    job.unique_key = args;
  }
  job.args = std::move(args);
  job.created_at = now;
  return job;
}

protocol::ProtocolError StoreRefusal(const Status& status) {
  if (status.code() == Status::Code::kInternal) return {ErrorWord::kInternal, status.message()};
  return {ErrorWord::kStore, "database failure, nothing was stored: " + status.message()};
}

Intake::Intake(Store& store, Dispatcher& dispatcher, const Clock& clock,
               std::shared_ptr<const Config> config)
    : store_(store),
      dispatcher_(dispatcher),
      clock_(clock),
      log_(MakeLogger("service")),
      config_(std::move(config)) {}

void Intake::SetConfig(std::shared_ptr<const Config> config) {
  std::lock_guard lock(config_mu_);
  config_ = std::move(config);
}

std::shared_ptr<const Config> Intake::config() const {
  std::lock_guard lock(config_mu_);
  return config_;
}

void Intake::Take(const std::string& word, std::string args, const protocol::SubmitOptions& options,
                  const std::string& source, Reply reply, CommitBy by) {
  if (shutting_down_) {
    return reply(protocol::ProtocolError{ErrorWord::kShutdown,
                                         "torqued is shutting down; job not accepted"});
  }
  const auto snapshot = config();
  const JobTypeConfig* type = snapshot->FindType(word);
  if (!type) {
    return reply(protocol::ProtocolError{ErrorWord::kUnknown, "unknown job type '" + word + "'"});
  }
  if (!type->active) {
    return reply(protocol::ProtocolError{
        ErrorWord::kDisabled, "job type '" + type->name + "' is not active (set active = true)"});
  }
  // For the log: "hello world" (the command as the type saw it).
  std::string what = args.empty() ? type->name : type->name + " " + args;
  NewJob job = MakeJob(*type, std::move(args), options, clock_.Now());
  // A free worker and nothing ready before it: the job is stored running and starts
  // as soon as it is committed.
  const Dispatcher::InsertTicket ticket = dispatcher_.BeginInsert(job.type, job.run_at);
  job.start = ticket.start();
  std::vector<NewJob> batch;
  batch.push_back(job);
  store_.InsertAsync(
      std::move(batch),
      [this, reply = std::move(reply), job = std::move(job), what = std::move(what), source,
       ticket](auto result) {
        if (!result.ok()) {
          dispatcher_.EndInsert(ticket, nullptr);
          log_->error("job '{}' from {} NOT accepted: {}", what, source, result.status().message());
          return reply(StoreRefusal(result.status()));
        }
        const InsertResult& r = result->front();
        if (r.existing) {
          dispatcher_.EndInsert(ticket, nullptr);
          log_->info("job '{}' from {} coalesced with job {}", what, source, r.id);
        } else {
          ++accepted_;
          log_->info("job {} accepted: {} ({})", r.id, what, source);
          const Job stored = StoredJob(job, r.id);
          dispatcher_.EndInsert(ticket, &stored);
        }
        reply(r);
      },
      by);
}

}  // namespace torque::server
