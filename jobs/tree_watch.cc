#include "jobs/tree_watch.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <sstream>

#include "core/duration.h"
#include "core/file_read.h"
#include "core/utf8.h"
#include "jobs/metafile.h"
#include "jobs/rtorrent/call_combiner.h"
#include "jobs/rtorrent/connector.h"
#include "jobs/rtorrent/rpc_client.h"
#include "jobs/rtorrent/xmlrpc.h"
#include "jobs/rtorrent_job.h"
#include "jobs/settle.h"
#include "jobs/tree_watcher.h"
#include "jobs/watch_load.h"

namespace torque::jobs {
namespace {

using Steady = std::chrono::steady_clock;

// Larger files are not metafiles anyone makes (a 64 MiB pieces string covers petabytes).
constexpr int64_t kMaxMetafileBytes = 64LL << 20;
// A truncated file written this recently may still be in the writer's hands.
constexpr DurationMs kWriterGraceMs = 60'000;
// How long rTorrent gets to show a loaded item (its main loop adds it after answering).
constexpr int64_t kAppearMs = 10'000;

std::string Errno(int e) { return std::strerror(e); }

double MsSince(Steady::time_point t) {
  return std::chrono::duration<double, std::milli>(Steady::now() - t).count();
}

std::string Ms(double ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f ms", ms);
  return buf;
}

std::string BaseName(const std::string& path) { return path.substr(path.rfind('/') + 1); }

bool HasSuffix(const std::string& path, std::string_view suffix) {
  return path.size() >= suffix.size() &&
         AsciiLower(std::string_view(path).substr(path.size() - suffix.size())) == suffix;
}

int64_t MtimeNs(const struct stat& st) {
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
}

// "HASH SIZE MTIME_NS", the durable record of a loaded file.
std::string LoadedRecord(const std::string& hash, const struct stat& st) {
  return hash + " " + std::to_string(st.st_size) + " " + std::to_string(MtimeNs(st));
}

// Whether `record` describes a file of this size and mtime.
bool RecordMatches(const std::string& record, int64_t size, int64_t mtime_ns) {
  std::istringstream in(record);
  std::string hash;
  int64_t s = -1, m = -1;
  in >> hash >> s >> m;
  return s == size && m == mtime_ns;
}

// Sleeps `ms` unless `cancel` is raised first; false when it was.
bool Sleep(const CancelSignal* cancel, int ms) {
  if (cancel) return !cancel->WaitFor(ms);
  ::usleep(static_cast<useconds_t>(ms) * 1000);
  return true;
}

// Moves `from` to folder `dir` (created when missing) under its own name, or with ".1",
// ".2", ... when taken; across file systems by copying. The new path.
Result<std::string> MoveInto(const std::string& from, const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::IoError("cannot create '" + dir + "': " + ec.message());
  std::string to = dir + "/" + BaseName(from);
  for (int n = 1; std::filesystem::exists(to, ec) && n < 1000; ++n) {
    to = dir + "/" + BaseName(from) + "." + std::to_string(n);
  }
  if (::rename(from.c_str(), to.c_str()) == 0) return to;
  if (errno != EXDEV) return Status::IoError("cannot move it to '" + to + "': " + Errno(errno));
  std::filesystem::copy_file(from, to, ec);
  if (ec) return Status::IoError("cannot copy it to '" + to + "': " + ec.message());
  if (::unlink(from.c_str()) != 0) {
    return Status::IoError("copied to '" + to + "' but cannot remove it: " + Errno(errno));
  }
  return to;
}

std::string Describe(const Metafile& meta) { return "#" + meta.info_hash + " '" + meta.name + "'"; }

}  // namespace

TreeWatch::TreeWatch(TreeWatchSettings settings, std::string type_name)
    : settings_(std::move(settings)), type_name_(std::move(type_name)) {}

TreeWatch::~TreeWatch() { Stop(); }

Result<std::unique_ptr<TreeWatch>> TreeWatch::Create(const JobTypeConfig& type,
                                                     const HandlerEnv& env) {
  auto settings = ReadTreeWatchSettings(type);
  if (!settings.ok()) return settings.status();
  std::unique_ptr<TreeWatch> w(new TreeWatch(std::move(*settings), type.name));
  w->clock_ = env.clock;
  auto connector = TypeConnector(type, env);
  if (!connector.ok()) return connector.status();
  w->connector_ = *connector;
  w->rtorrent_ = std::make_unique<rtorrent::CallCombiner>(std::move(*connector));
  return w;
}

Status TreeWatch::Start(HandlerHost& host) {
  static const SystemClock system_clock;
  TreeWatcherOptions options;
  options.roots = settings_.roots;
  options.excluded = settings_.QuarantinesInside();
  options.settle = settings_.settle;
  options.poll_interval = settings_.poll_interval;
  options.trace = settings_.trace;
  TreeWatcherCallbacks callbacks;
  callbacks.ready = [this](const std::string& path) { OnReady(path); };
  callbacks.rescan = [this](const std::string& why) { OnRescan(why); };
  auto watcher =
      std::make_unique<TreeWatcher>(host.executor, std::move(options), std::move(callbacks),
                                    host.log, clock_ ? clock_ : &system_clock);
  {
    std::lock_guard lock(mu_);
    host_ = &host;
    watcher_ = std::move(watcher);
    host.log->info("tree watch '{}': {}; loads into rTorrent at {}", type_name_, watcher_->Start(),
                   connector_->Describe());
  }
  OnRescan("start-up: loading what arrived while torqued was not watching");
  return Status::Ok();
}

void TreeWatch::Stop() {
  std::unique_ptr<TreeWatcher> watcher;
  {
    std::lock_guard lock(mu_);
    host_ = nullptr;
    watcher = std::move(watcher_);
  }
  if (watcher) watcher->Stop();
}

void TreeWatch::OnReady(const std::string& path) { SubmitJob(path, "new file"); }

void TreeWatch::OnRescan(const std::string& why) { SubmitJob("", why); }

void TreeWatch::SubmitJob(const std::string& args, const std::string& why) {
  std::lock_guard lock(mu_);
  if (!host_) return;
  protocol::SubmitOptions options;
  options.unique = args.empty() ? std::string(kRescanKey) : args;
  auto log = host_->log;
  if (settings_.trace || args.empty()) {
    log->info("{}: {}", args.empty() ? "rescan" : "submitting '" + args + "'", why);
  }
  host_->jobs->Submit(type_name_, args, options, [log, args](Result<JobSink::Submitted> r) {
    if (r.ok()) return;
    log->error(
        "cannot submit the load of '{}': {}; the next rescan picks "
        "it up",
        args.empty() ? "(rescan)" : args, r.status().message());
  });
}

RunResult TreeWatch::Run(JobContext& ctx) {
  if (ctx.args.empty()) return Rescan(ctx);
  return Load(ctx, ctx.args);
}

RunResult TreeWatch::Load(JobContext& ctx, const std::string& path) {
  const auto began = Steady::now();
  if (path.front() != '/') {
    return RunResult::FailedFinal("expected the absolute path of a metafile, got '" + path + "'");
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return RunResult::Succeeded("'" + path + "' is gone; nothing to load");
    return RunResult::Failed("cannot read '" + path + "': " + Errno(errno));
  }
  if (!S_ISREG(st.st_mode)) return RunResult::FailedFinal("'" + path + "' is not a file");
  if (st.st_size == 0) {
    return RunResult::Succeeded("'" + path +
                                "' is empty (0 bytes); it loads once its writer fills it");
  }
  const WatchedPath where = Locate(settings_.roots, path);
  if (st.st_size > kMaxMetafileBytes) {
    return Quarantine(ctx, path, where.root, "larger than 64 MiB, not a metafile");
  }
  auto bytes = ReadWholeFile(path, static_cast<size_t>(kMaxMetafileBytes));
  if (!bytes.ok()) return RunResult::Failed(bytes.status().message());

  bool truncated = false;
  Result<Metafile> meta =
      HasSuffix(path, ".magnet") ? ParseMagnet(*bytes) : ParseMetafile(*bytes, &truncated);
  if (!meta.ok()) {
    const TimeMs now = ctx.clock ? ctx.clock->Now() : SystemClock().Now();
    if (truncated && now - MtimeNs(st) / 1'000'000 < kWriterGraceMs) {
      return RunResult::Succeeded("'" + path + "' is incomplete (" + meta.status().message() +
                                  "); it loads once its writer is done");
    }
    return Quarantine(ctx, path, where.root, meta.status().message());
  }
  const FolderRules rules =
      where.root.empty() ? FolderRules{} : folders_.For(where.root, where.dir, ctx.log.get());
  const LoadPlan plan = PlanLoad(settings_, rules, where, *meta);
  std::string notes;
  for (const std::string& p : rules.problems) notes += "\n" + p + " (ignored)";

  const RunDeadline deadline = DeadlineOf(ctx);
  const rtorrent::CallLimits limits{ctx.cancel, deadline};
  std::string commands;
  for (const std::string& c : plan.commands) commands += "\n  " + c;
  if (ctx.dry_run) {
    auto have = HasItem(meta->info_hash, limits);
    if (!have.ok()) {
      return CallFailure(have.status(), "asking rTorrent for " + Describe(*meta), ctx, deadline);
    }
    if (*have) return AlreadyHeld(ctx, *meta, path, st, notes);
    std::string result = "would load " + Describe(*meta) + " from '" + path + "' with " +
                         plan.method + (commands.empty() ? "" : ", commands:" + commands);
    if (ctx.log) ctx.log->info("{}", result);
    return RunResult::Succeeded(result + notes);
  }
  LoadTimes times;
  auto loaded = SendLoad(ctx, limits, plan, *meta, path, *bytes, times);
  if (!loaded.ok()) {
    if (loaded.status().code() == Status::Code::kNotFound) {
      return RunResult::FailedFinal(loaded.status().message());
    }
    return CallFailure(loaded.status(), "loading " + Describe(*meta) + " into rTorrent", ctx,
                       deadline);
  }
  if (!*loaded) return AlreadyHeld(ctx, *meta, path, st, notes);
  std::string result = "loaded " + Describe(*meta) + " from '" + path + "' with " + plan.method +
                       " in " + Ms(MsSince(began)) + " (load " + Ms(times.load_ms) +
                       ", until rTorrent showed it " + Ms(times.shown_ms) + ")";
  if (ctx.log) ctx.log->info("Loaded {} from metafile '{}'", Describe(*meta), path);
  RunResult r;
  switch (settings_.after_load) {
    case AfterLoad::kLeave:
      r.handler_state[kLoadedPrefix + path] = LoadedRecord(meta->info_hash, st);
      break;
    case AfterLoad::kDelete:
      result += ::unlink(path.c_str()) == 0 ? "; removed the file"
                                            : "; cannot remove the file: " + Errno(errno);
      break;
    case AfterLoad::kRename:
      if (::rename(path.c_str(), (path + ".loaded").c_str()) == 0) {
        result += "; renamed it to '" + BaseName(path) + ".loaded'";
      } else {
        result += "; cannot rename it: " + Errno(errno);
        r.handler_state[kLoadedPrefix + path] = LoadedRecord(meta->info_hash, st);
      }
      break;
  }
  r.result = result + (commands.empty() ? "" : ", commands:" + commands) + notes;
  return r;
}

Result<bool> TreeWatch::HasItem(const std::string& hash, const rtorrent::CallLimits& limits) {
  auto answers = rtorrent_->Call({{"d.hash", {rtorrent::Value(hash)}}}, limits);
  if (!answers.ok()) return answers.status();
  const Result<rtorrent::Value>& have = answers->front();
  if (have.ok()) return true;
  auto fault = rtorrent::FaultOf(have.status());
  if (fault && fault->code == rtorrent::Fault::kNoSuchItem) return false;
  return have.status();
}

Result<bool> TreeWatch::SendLoad(JobContext& ctx, const rtorrent::CallLimits& limits,
                                 const LoadPlan& plan, const Metafile& meta,
                                 const std::string& path, const std::string& bytes,
                                 LoadTimes& times) {
  rtorrent::Array params;
  params.emplace_back("");
  if (plan.raw) {
    params.emplace_back(rtorrent::Binary{bytes});
  } else {
    params.emplace_back(meta.magnet ? meta.uri : path);
  }
  for (const std::string& c : plan.commands) params.emplace_back(c);
  // One request: whether rTorrent holds the item already, and the load. Two requests back
  // to back cost rTorrent more than the duplicate this sometimes sends (a file reported by
  // the watcher and a rescan, a job run again after a crash): rTorrent refuses that load,
  // logging "Info hash already used", and runs none of its commands.
  const auto loading = Steady::now();
  auto answers = rtorrent_->Call(
      {{"d.hash", {rtorrent::Value(meta.info_hash)}}, {plan.method, std::move(params)}}, limits);
  if (!answers.ok()) return answers.status();
  times.load_ms = MsSince(loading);
  const Result<rtorrent::Value>& had = (*answers)[0];
  if (had.ok()) return false;
  auto fault = rtorrent::FaultOf(had.status());
  if (!fault || fault->code != rtorrent::Fault::kNoSuchItem) return had.status();
  if (!(*answers)[1].ok()) return (*answers)[1].status();

  // rTorrent answers before its main loop adds the item (some milliseconds later, more with
  // many items). Poll it, but seldom: every request costs that main loop time too, and
  // polling every 1-2 ms delayed the item itself (bench/tree_watch.sh).
  const auto shown = Steady::now();
  const auto until = shown + std::chrono::milliseconds(kAppearMs);
  for (int wait_ms = 5;; wait_ms = 10) {
    if (!Sleep(ctx.cancel, wait_ms)) return Status::Cancelled("cancelled");
    auto have = HasItem(meta.info_hash, limits);
    if (!have.ok()) return have.status();
    if (*have) {
      times.shown_ms = MsSince(shown);
      return true;
    }
    if (Steady::now() >= until) break;
  }
  return Status::NotFound(
      "rTorrent did not add " + Describe(meta) + " from '" + path + "' within " +
      FormatDuration(kAppearMs) + " (see rTorrent's log" +
      (plan.raw ? ")" : "; if rTorrent cannot read this path, set load_raw = true)"));
}

RunResult TreeWatch::AlreadyHeld(JobContext& ctx, const Metafile& meta, const std::string& path,
                                 const struct stat& st, const std::string& notes) {
  std::string result = "rTorrent already holds " + Describe(meta) + " of '" + path + "'";
  if (settings_.remove_already_added && !ctx.dry_run) {
    if (::unlink(path.c_str()) == 0) {
      result += "; removed the file";
    } else {
      result += "; cannot remove the file: " + Errno(errno);
    }
  }
  if (ctx.log) ctx.log->info("{}", result);
  RunResult r = RunResult::Succeeded(result + notes);
  if (!ctx.dry_run) r.handler_state[kLoadedPrefix + path] = LoadedRecord(meta.info_hash, st);
  return r;
}

RunResult TreeWatch::Quarantine(JobContext& ctx, const std::string& path, const std::string& root,
                                const std::string& why) {
  std::string message = "invalid metafile '" + path + "': " + why;
  if (ctx.dry_run) {
    message += " (dry run: left in place)";
  } else {
    const std::string base = root.empty() ? path.substr(0, path.rfind('/')) : root;
    auto moved = MoveInto(path, settings_.QuarantineFor(base));
    message += moved.ok() ? "; moved to '" + *moved + "'"
                          : "; " + moved.status().message() + " (left in place)";
  }
  if (ctx.log) ctx.log->error("{}", message);
  return RunResult::FailedFinal(message);
}

RunResult TreeWatch::Rescan(JobContext& ctx) {
  JobSink* sink = nullptr;
  {
    std::lock_guard lock(mu_);
    if (host_) sink = host_->jobs;
  }
  if (!sink) return RunResult::Failed("the tree watch is not running; nothing to submit to");
  std::map<std::string, std::string> state;
  if (ctx.state) {
    auto loaded = ctx.state->Load();
    if (!loaded.ok()) {
      return RunResult::Failed("cannot read what was loaded: " + loaded.status().message());
    }
    state = std::move(*loaded);
  }

  TreeWatcherOptions options;
  options.roots = settings_.roots;
  options.excluded = settings_.QuarantinesInside();
  std::vector<std::string> pending;
  size_t files = 0, known = 0, empty = 0;
  WalkCandidates(
      options,
      [&](const std::string& path) {
        ++files;
        auto stamp = StatFile(path);
        if (!stamp) return;
        if (stamp->size == 0) {
          ++empty;
          return;
        }
        auto it = state.find(kLoadedPrefix + path);
        if (it != state.end() && RecordMatches(it->second, stamp->size, stamp->mtime_ns)) {
          ++known;
          return;
        }
        pending.push_back(path);
      },
      ctx.log.get());

  // Submit them all, then wait for every commit.
  std::mutex mu;
  std::condition_variable done;
  size_t answered = 0, failed = 0;
  std::string first_error;
  for (const std::string& path : pending) {
    if (ctx.dry_run) break;
    protocol::SubmitOptions submit;
    submit.unique = path;
    sink->Submit(type_name_, path, submit, [&](Result<JobSink::Submitted> r) {
      std::lock_guard lock(mu);
      if (!r.ok()) {
        ++failed;
        if (first_error.empty()) first_error = r.status().message();
      }
      ++answered;
      done.notify_all();
    });
  }
  {
    std::unique_lock lock(mu);
    done.wait(lock, [&] { return ctx.dry_run || answered == pending.size(); });
  }

  RunResult r;
  size_t forgotten = 0;
  for (const auto& [key, record] : state) {
    if (key.rfind(kLoadedPrefix, 0) != 0) continue;
    const std::string path = key.substr(sizeof kLoadedPrefix - 1);
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0 && errno == ENOENT && !ctx.dry_run) {
      r.handler_state[key] = "";
      ++forgotten;
    }
  }
  std::string result = "rescanned " + std::to_string(settings_.roots.size()) +
                       (settings_.roots.size() == 1 ? " tree: " : " trees: ") +
                       std::to_string(files) + " metafiles, " + std::to_string(known) +
                       " loaded before, " + std::to_string(empty) + " empty, " +
                       std::to_string(pending.size()) +
                       (ctx.dry_run ? " would be submitted" : " submitted");
  if (forgotten) result += "; forgot " + std::to_string(forgotten) + " removed files";
  if (ctx.log && (!pending.empty() || forgotten)) ctx.log->info("{}", result);
  if (failed) {
    r.kind = RunResult::Kind::kFailed;
    r.error = std::to_string(failed) + " submissions failed: " + first_error;
  }
  r.result = std::move(result);
  return r;
}

}  // namespace torque::jobs
