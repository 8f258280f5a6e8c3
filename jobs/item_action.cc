#include "jobs/item_action.h"

#include <chrono>
#include <utility>

#include "core/utf8.h"
#include "core/words.h"
#include "jobs/rtorrent/connector.h"
#include "jobs/rtorrent/query.h"
#include "jobs/rtorrent/rpc_client.h"
#include "jobs/rtorrent/tags.h"
#include "jobs/rtorrent_job.h"
#include "jobs/settings.h"

namespace torque::jobs {
namespace {

using rtorrent::Item;
using rtorrent::MethodCall;
using rtorrent::Value;
using Kind = ItemStep::Kind;

constexpr char kDefaultSort[] = "name,hash";

bool IsHash(std::string_view s) {
  if (s.size() != 40) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) return false;
  }
  return true;
}

std::string Trim(const std::string& s) {
  const size_t first = s.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return "";
  return s.substr(first, s.find_last_not_of(" \t\r\n") - first + 1);
}

std::string Get(const Item& item, std::string_view field) {
  return FieldText(item.Get(*rtorrent::LookupField(field)));
}

std::string Parent(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return "";
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string StripSlashes(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

// "'name' #HASH", how messages name an item.
std::string Describe(const Item& item) { return "'" + Get(item, "name") + "' #" + item.hash(); }

// One item's steps, in order, sending its rTorrent calls in as few requests as the steps
// allow. Says what it did in `done`; the first failure ends it.
class ItemRun {
 public:
  ItemRun(rtorrent::RtorrentClient& client, const Item& item, JobContext& ctx, bool dry,
          ItemDisk& disk, ProcessRunner& runner, const std::string& cwd,
          const RunDeadline& deadline)
      : client_(client),
        item_(item),
        hash_(item.hash()),
        ctx_(ctx),
        dry_(dry),
        disk_(disk),
        runner_(runner),
        cwd_(cwd),
        deadline_(deadline) {
    started_ = Get(item, "d_state") == "1";
    open_ = Get(item, "is_open") == "1";
    tags_ = Get(item, "tagged");
  }

  // Runs `steps`; false when one failed (failure(), final()).
  bool Go(const std::vector<ItemStep>& steps) {
    for (const ItemStep& step : steps) {
      if (!Step(step)) return false;
    }
    return Flush();
  }

  std::string Done() const {
    std::string text;
    for (const std::string& d : done_) text += (text.empty() ? "" : ", ") + d;
    return text.empty() ? "nothing to do" : text;
  }
  const std::string& failure() const { return failure_; }
  bool final() const { return final_; }

 private:
  // What the calls gathered so far will do, said once rTorrent took them.
  void Did(std::string what) { pending_done_.push_back(dry_ ? "would " + what : std::move(what)); }
  void Note(std::string what) { pending_done_.push_back(std::move(what)); }
  // What a step that does its own requests (move, run, erase_data) did.
  void Completed(std::string what) { done_.push_back(std::move(what)); }
  void Call(std::string method, rtorrent::Array params = {}) {
    params.insert(params.begin(), Value(hash_));
    calls_.push_back({std::move(method), std::move(params)});
  }
  bool Fail(std::string why, bool final) {
    failure_ = std::move(why);
    final_ = final;
    return false;
  }

  // Sends the calls gathered so far in one system.multicall; false on the first failure.
  bool Flush() {
    if (calls_.empty() || dry_) {
      calls_.clear();
      done_.insert(done_.end(), pending_done_.begin(), pending_done_.end());
      pending_done_.clear();
      return true;
    }
    std::vector<std::string> saying = std::move(pending_done_);
    pending_done_.clear();
    std::vector<MethodCall> calls = std::move(calls_);
    calls_.clear();
    refused_.clear();
    auto answers = client_.SystemMultiCall(calls);
    if (!answers.ok()) {
      RunResult r =
          CallFailure(answers.status(), "sending " + calls.front().method + "...", ctx_, deadline_);
      return Fail(r.error, false);
    }
    for (size_t i = 0; i < answers->size() && i < calls.size(); ++i) {
      if (!(*answers)[i].ok()) {
        refused_ = calls[i].method;
        return Fail(calls[i].method + ": " + (*answers)[i].status().message(), true);
      }
    }
    done_.insert(done_.end(), saying.begin(), saying.end());
    return true;
  }

  bool Step(const ItemStep& step) {
    switch (step.kind) {
      case Kind::kStart:
        Call("d.open");
        Call("d.start");
        started_ = open_ = true;
        Did("start");
        return true;
      case Kind::kStop:
        Call("d.stop");
        Call("d.close");
        started_ = open_ = false;
        Did("stop");
        return true;
      case Kind::kPrio:
        Call("d.priority.set", {Value(step.prio)});
        Call("d.update_priorities");
        Did("prio " + std::to_string(step.prio));
        return true;
      case Kind::kCustom: {
        const std::string value = step.value.Render(item_);
        const bool numbered = step.key.size() == 1 && step.key[0] >= '1' && step.key[0] <= '5';
        if (numbered) {
          Call("d.custom" + step.key + ".set", {Value(value)});
        } else {
          Call("d.custom.set", {Value(step.key), Value(value)});
        }
        Did("custom " + step.key + "=" + QuoteWord(value));
        return true;
      }
      case Kind::kTag:
        return Tag(step);
      case Kind::kErase:
        Call("d.erase");
        Did("erase");
        return true;
      case Kind::kMove:
        return Move(step);
      case Kind::kEraseData:
        return EraseData();
      case Kind::kRun:
        return RunProgram(step);
    }
    return true;
  }

  bool Tag(const ItemStep& step) {
    std::vector<std::string> add, remove;
    for (const ItemTemplate& t : step.words) {
      for (std::string& w : rtorrent::SplitTags(t.Render(item_))) add.push_back(std::move(w));
    }
    for (const ItemTemplate& t : step.remove) {
      for (std::string& w : rtorrent::SplitTags(t.Render(item_))) remove.push_back(std::move(w));
    }
    auto edited = rtorrent::EditTags(tags_, add, remove);
    if (!edited) {
      Note("tags unchanged");
      return true;
    }
    tags_ = *edited;
    Call("d.custom.set", {Value(rtorrent::kTagsKey), Value(*edited)});
    Did("tags " + QuoteWord(*edited));
    return true;
  }

  // Puts the item back in the state it had: started, open or closed; at `old_root` first
  // unless that is empty.
  void Restore(bool was_started, bool was_open, const std::string& old_root = "") {
    calls_.clear();
    if (!old_root.empty()) {
      Call("d.stop");
      Call("d.close");
      Call("d.directory_base.set", {Value(old_root)});
    }
    if (was_started || was_open) Call("d.open");
    if (was_started) Call("d.start");
    const std::string failure = failure_;
    const bool final = final_;
    if (!Flush()) {
      failure_ = failure + "; restoring its state failed too: " + failure_;
      final_ = final;
    }
  }

  bool Move(const ItemStep& step) {
    const std::string target = StripSlashes(step.value.Render(item_));
    if (target.empty()) {
      Note("not moved (empty target)");
      return true;
    }
    const std::string source = StripSlashes(Get(item_, "path"));
    if (!source.empty() && Parent(source) == target) {
      Note("already in " + target);
      return true;
    }
    auto dest = disk_.CheckMove(source, target);
    if (!dest.ok()) {
      return Fail("cannot move to " + target + ": " + dest.status().message(),
                  dest.status().code() != Status::Code::kIoError);
    }
    const bool was_started = started_, was_open = open_;
    if (dry_) {
      Did("move " + source + " to " + target + "/" + (was_started ? " (stop, then start)" : ""));
      return true;
    }
    Call("d.stop");
    Call("d.close");
    if (!Flush()) {
      Restore(was_started, was_open);
      return false;
    }
    std::vector<std::string> created;
    if (Status moved = disk_.Move(source, *dest, &created); !moved.ok()) {
      Fail("data left in place: " + moved.message(), moved.code() != Status::Code::kIoError);
      Restore(was_started, was_open);
      return false;
    }
    // The new place goes alone (with d.save_resume): were d.open in the same request,
    // rTorrent would open a refused item at the old place, creating files there.
    const bool multi = Get(item_, "is_multi_file") == "1";
    Call("d.directory_base.set", {Value(multi ? *dest : target)});
    Call("d.save_resume");
    if (!Flush()) {
      // rTorrent may not point at the new place: put the data back where it knows it.
      const bool refused = !refused_.empty();
      const std::string why = failure_;
      if (Status back = disk_.Move(*dest, source); !back.ok()) {
        return Fail(why + "; the data stays in " + *dest + " (" + back.message() + ")", true);
      }
      disk_.RemoveEmptyDirs(created);
      Fail("data left in place: " + why, refused);
      Restore(was_started, was_open, refused ? "" : (multi ? source : Parent(source)));
      return false;
    }
    if (was_started || was_open) Call("d.open");
    if (was_started) Call("d.start");
    if (!Flush()) return Fail("moved " + source + " to " + target + "/, but " + failure_, true);
    Completed("move " + source + " to " + target + "/" + (was_started ? " (restarted)" : ""));
    return true;
  }

  bool EraseData() {
    const std::string data = Get(item_, "path");
    const bool multi = Get(item_, "is_multi_file") == "1";
    std::vector<std::string> files;
    const rtorrent::FieldValue listed = item_.Get(*rtorrent::LookupField("files"));
    if (const auto* list = std::get_if<std::vector<rtorrent::FileInfo>>(&listed)) {
      for (const rtorrent::FileInfo& f : *list) files.push_back(f.path);
    }
    if (dry_) {
      Did("erase and delete " + std::to_string(multi ? files.size() : 1) + " file(s) in " + data);
      return true;
    }
    Call("d.stop");
    Call("d.close");
    Call("d.erase");
    if (!Flush()) return false;
    auto report = disk_.DeleteData(data, multi, files);
    if (!report.ok()) return Fail("erased, but its data stays: " + report.status().message(), true);
    std::string what = "erase, delete " + std::to_string(report->deleted) + " file(s) of " + data;
    if (report->missing) what += " (" + std::to_string(report->missing) + " missing)";
    if (!report->kept.empty()) what += " (kept " + JoinWords(report->kept) + ": not its own)";
    Completed(what);
    return true;
  }

  bool RunProgram(const ItemStep& step) {
    ProcessSpec spec;
    for (const ItemTemplate& t : step.words) spec.argv.push_back(t.Render(item_));
    if (spec.argv[0].empty()) return Fail("run: '" + step.words[0].text() + "' is empty", true);
    if (dry_) {
      Did("run " + JoinWords(spec.argv));
      return true;
    }
    if (!Flush()) return false;
    spec.cwd = cwd_;
    spec.env = {{"TORQUE_JOB_ID", std::to_string(ctx_.id)},
                {"TORQUE_JOB_TYPE", ctx_.type},
                {"TORQUE_ITEM_HASH", hash_}};
    if (!ctx_.socket_path.empty()) spec.env["TORQUE_SOCKET"] = ctx_.socket_path;
    if (deadline_) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          *deadline_ - std::chrono::steady_clock::now());
      spec.timeout = std::max<DurationMs>(1, left.count());
    }
    if (ctx_.log) {
      spec.on_stderr_line = [this](std::string_view line) {
        ctx_.log->debug("{} stderr: {}", hash_, line);
      };
    }
    const std::string what = JoinWords(spec.argv);
    auto ran = runner_.Run(spec, ctx_.cancel);
    if (!ran.ok()) return Fail("run " + what + ": " + ran.status().message(), true);
    if (ctx_.log && !ran->stdout_text.empty()) {
      ctx_.log->debug("{} stdout: {}", hash_, ran->stdout_text);
    }
    if (ran->cancelled) return Fail("run " + what + ": cancelled", false);
    if (ran->timed_out) return Fail("run " + what + ": timed out", false);
    if (!ran->Succeeded()) {
      std::string why = ran->signal ? "killed by " + SignalName(ran->signal)
                                    : "exit status " + std::to_string(ran->exit_code);
      std::string tail = Trim(ran->stderr_tail);
      if (const size_t nl = tail.rfind('\n'); nl != std::string::npos) tail = tail.substr(nl + 1);
      if (!tail.empty()) why += ": " + tail;
      return Fail("run " + what + ": " + why, false);
    }
    Completed("run " + what);
    return true;
  }

  rtorrent::RtorrentClient& client_;
  const Item& item_;
  const std::string hash_;
  JobContext& ctx_;
  const bool dry_;
  ItemDisk& disk_;
  ProcessRunner& runner_;
  const std::string& cwd_;
  const RunDeadline& deadline_;
  bool started_ = false, open_ = false;
  std::string tags_;
  std::vector<MethodCall> calls_;
  std::vector<std::string> pending_done_;  // what the unsent calls do
  std::vector<std::string> done_;
  std::string failure_;
  std::string refused_;  // the method rTorrent refused in the last request, if any
  bool final_ = true;
};

}  // namespace

Result<std::unique_ptr<ItemAction>> ItemAction::Create(const JobTypeConfig& type,
                                                       const HandlerEnv& env,
                                                       std::shared_ptr<ItemDisk> disk,
                                                       std::shared_ptr<ProcessRunner> runner) {
  std::unique_ptr<ItemAction> a(new ItemAction());
  a->type_name_ = type.name;
  const SettingReader r(type);
  auto steps = ReadItemActions(type);
  if (!steps.ok()) return steps.status();
  a->steps_ = std::move(*steps);
  if (r.Find("matcher")) {
    auto matcher = r.Condition("matcher", "");
    if (!matcher.ok()) return matcher.status();
    a->matcher_ = std::move(*matcher);
  } else if (!type.schedule.empty()) {
    return r.Fail("matcher", "a scheduled item_action needs a matcher (the items to act on)");
  }
  a->view_ = Trim(r.Text("view", "main"));
  if (a->view_.empty()) return r.Fail("view", "no view name");
  auto sort = rtorrent::ParseSortFields(r.Text("sort", kDefaultSort));
  if (!sort.ok()) return r.Fail("sort", sort.status().message());
  a->sort_ = std::move(*sort);
  a->cwd_ = r.Text("cwd");
  a->fields_ = ItemStepFields(a->steps_);
  for (const char* f : {"name", "d_state", "is_open", "tagged"}) a->fields_.push_back(f);
  if (a->matcher_) {
    for (const std::string& f : a->matcher_->Fields()) a->fields_.push_back(f);
  }
  auto connector = TypeConnector(type, env);
  if (!connector.ok()) return connector.status();
  a->connector_ = std::move(*connector);
  a->disk_ = disk ? std::move(disk) : std::make_shared<ItemDisk>();
  a->runner_ = runner ? std::move(runner) : std::make_shared<PosixProcessRunner>();
  return a;
}

Status ItemAction::Start(HandlerHost& host) {
  std::string steps;
  for (const ItemStep& s : steps_) steps += (steps.empty() ? "" : "; ") + s.text;
  host.log->info("item action '{}' does: {}; on {}", type_name_, steps,
                 matcher_ ? "view '" + view_ + "' items matching " + matcher_->ToString()
                          : std::string("the item a job names by hash"));
  return Status::Ok();
}

RunResult ItemAction::Run(JobContext& ctx) {
  const std::string args = Trim(ctx.args);
  const bool by_hash = !args.empty();
  if (by_hash && !IsHash(args)) {
    return RunResult::FailedFinal("bad args '" + args +
                                  "': an item_action job takes an info hash (40 hex digits), "
                                  "or nothing to act on the items its matcher selects");
  }
  if (!by_hash && !matcher_) {
    return RunResult::FailedFinal("no item to act on: give an info hash (torque-cli " + ctx.type +
                                  " HASH), or set the type's matcher");
  }
  const RunDeadline deadline = DeadlineOf(ctx);
  const rtorrent::TimeSec now = ctx.clock ? ctx.clock->Now() / 1000 : 0;
  auto rpc = connector_->Connect({ctx.cancel, deadline});
  if (!rpc.ok()) return RunResult::Failed("cannot reach rTorrent: " + rpc.status().message());
  rtorrent::RtorrentClient client(**rpc);

  std::optional<rtorrent::Condition> by_hash_condition;
  if (by_hash) {
    auto parsed = rtorrent::ParseCondition("hash=" + AsciiUpper(args));
    if (!parsed.ok()) return RunResult::FailedFinal(parsed.status().message());
    by_hash_condition = std::move(*parsed);
  }
  rtorrent::QueryOptions options;
  options.view = by_hash ? "main" : view_;
  options.extra_fields = fields_;
  options.now = now;
  auto found = rtorrent::Query(client, by_hash ? &*by_hash_condition : &*matcher_,
                               by_hash ? nullptr : &sort_, options);
  if (!found.ok()) {
    return CallFailure(found.status(), "fetching view '" + options.view + "' from rTorrent", ctx,
                       deadline);
  }
  const std::vector<Item>& items = found->items;
  if (by_hash) {
    if (items.empty()) return RunResult::FailedFinal("rTorrent has no item #" + AsciiUpper(args));
    if (matcher_ && !matcher_->Match(items[0], now)) {
      return RunResult::Succeeded(Describe(items[0]) + ": left alone, it does not match: " +
                                  matcher_->Explain(items[0], now));
    }
  }
  if (items.empty()) return RunResult::Succeeded("no item matches");

  std::string lines, failures;
  int failed = 0;
  bool all_final = true;
  for (const Item& item : items) {
    if (ctx.cancel && ctx.cancel->raised()) {
      return RunResult::Cancelled("cancelled before " + Describe(item), lines);
    }
    ItemRun run(client, item, ctx, ctx.dry_run, *disk_, *runner_, cwd_, deadline);
    std::string line = Describe(item) + ": ";
    if (run.Go(steps_)) {
      line += run.Done();
      if (ctx.log) ctx.log->info("{}", line);
    } else {
      ++failed;
      all_final = all_final && run.final();
      line += (run.Done() == "nothing to do" ? "" : run.Done() + ", then ") +
              "FAILED: " + run.failure();
      failures += (failures.empty() ? "" : "; ") + Describe(item) + ": " + run.failure();
      if (ctx.log) ctx.log->warn("{}", line);
    }
    lines += line + "\n";
  }
  const size_t n = items.size();
  lines += std::to_string(n) + (n == 1 ? " item" : " items") + (ctx.dry_run ? " (dry run)" : "") +
           ": " + std::to_string(n - static_cast<size_t>(failed)) + " done, " +
           std::to_string(failed) + " failed";
  if (!failed) return RunResult::Succeeded(lines);
  std::string error = std::to_string(failed) + " of " + std::to_string(n) +
                      (n == 1 ? " item" : " items") + " failed: " + failures;
  return all_final ? RunResult::FailedFinal(error, lines) : RunResult::Failed(error, lines);
}

}  // namespace torque::jobs
