#include "jobs/watch_load.h"

#include "jobs/rtorrent/rpc_client.h"
#include "jobs/rtorrent/traits.h"

namespace torque::jobs {
namespace {

bool IsFlagWord(std::string_view word) {
  return word == "load" || word == "start" || word == "queue";
}

std::string Join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (const std::string& p : parts) {
    if (!out.empty()) out += sep;
    out += p;
  }
  return out;
}

std::vector<std::string> Split(std::string_view text, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(sep, start);
    if (end == std::string_view::npos) end = text.size();
    if (end > start) out.emplace_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

}  // namespace

WatchedPath Locate(const std::vector<std::string>& roots, const std::string& path) {
  WatchedPath w;
  w.path = path;
  size_t slash = path.rfind('/');
  w.dir = slash == std::string::npos ? "" : slash == 0 ? "/" : path.substr(0, slash);
  for (const std::string& root : roots) {
    const bool inside =
        w.dir == root || (w.dir.size() > root.size() && w.dir.compare(0, root.size(), root) == 0 &&
                          (root == "/" || w.dir[root.size()] == '/'));
    if (!inside) continue;
    w.root = root;
    if (w.dir.size() > root.size()) w.relpath = w.dir.substr(root == "/" ? 1 : root.size() + 1);
    break;
  }
  return w;
}

std::set<std::string> PathFlags(const WatchedPath& where) {
  std::set<std::string> flags;
  for (std::string& folder : Split(where.relpath, '/')) flags.insert(std::move(folder));
  const std::string name = where.path.substr(where.path.rfind('/') + 1);
  for (std::string& part : Split(name, '.')) flags.insert(std::move(part));
  return flags;
}

std::string FolderLabel(const WatchedPath& where) {
  for (const std::string& folder : Split(where.relpath, '/')) {
    if (!IsFlagWord(folder)) return folder;
  }
  return "";
}

std::map<std::string, std::string> TemplateVars(const TreeWatchSettings& settings,
                                                const WatchedPath& where,
                                                const std::set<std::string>& flags,
                                                const Metafile& meta) {
  std::map<std::string, std::string> vars;
  vars["pathname"] = where.path;
  vars["info_hash"] = meta.info_hash;
  vars["info_name"] = meta.name;
  const std::string alias = rtorrent::MapAnnounceToAlias(meta.announce, settings.aliases);
  vars["tracker_alias"] = alias;
  vars["watch_path"] = Join(settings.roots, ":");
  vars["relpath"] = where.relpath;
  vars["rel_path"] = where.relpath.empty() ? "." : where.relpath;
  vars["flags"] = Join(std::vector<std::string>(flags.begin(), flags.end()), " ");
  const std::string filetype = FileTypeOf(meta);
  vars["filetype"] = filetype;
  const std::string ext = filetype.empty() ? "" : filetype.substr(1);
  vars["label"] = Join(rtorrent::DetectTraits(meta.name, alias, ext, settings.aliases), "/");
  const std::string kind = rtorrent::NameTrait(meta.name);
  vars["traits"] = kind;
  vars["traits.kind"] = kind;
  return vars;
}

LoadPlan PlanLoad(const TreeWatchSettings& settings, const FolderRules& rules,
                  const WatchedPath& where, const Metafile& meta) {
  LoadPlan plan;
  const std::set<std::string> flags = PathFlags(where);
  plan.start = rules.start.value_or(settings.start);
  plan.queued = rules.queued.value_or(settings.queued);
  if (flags.count("start")) {
    plan.start = true;
  } else if (flags.count("load")) {
    plan.start = false;
  }
  if (flags.count("queue")) plan.queued = true;

  plan.raw = settings.load_raw && !meta.magnet;
  const bool start_now = plan.start && !plan.queued;
  plan.method =
      std::string(plan.raw ? "load.raw_" : "load.") + (start_now ? "start_verbose" : "verbose");

  if (rules.label) {
    plan.label = *rules.label;
  } else if (settings.label_from_path) {
    plan.label = FolderLabel(where);
  }
  if (!plan.label.empty())
    plan.commands.push_back("d.custom1.set=" + rtorrent::QuoteCommandArg(plan.label));

  // The job's cmd.NAME, overridden or dropped by watch.ini, in name order.
  std::map<std::string, const WatchTemplate*> commands;
  for (const LoadCommand& c : settings.commands) commands[c.name] = &c.text;
  for (const auto& [name, text] : rules.commands) {
    if (text) {
      commands[name] = &*text;
    } else {
      commands.erase(name);
    }
  }
  if (!commands.empty()) {
    const auto vars = TemplateVars(settings, where, flags, meta);
    for (const auto& [name, text] : commands) {
      std::string command = text->Expand(vars);
      if (!command.empty()) plan.commands.push_back(std::move(command));
    }
  }
  if (plan.queued && !plan.start) plan.commands.push_back("d.priority.set=0");

  std::string mode = plan.queued ? " [queued]" : "";
  mode += plan.queued && plan.start ? " [startable]" : plan.start ? " [started]" : " [normal]";
  plan.announcement = "TreeWatch: Loaded '" + meta.name + "' from '" + where.dir + "/'" + mode;
  if (!settings.quiet)
    plan.commands.push_back("print=" + rtorrent::QuoteCommandArg(plan.announcement));
  return plan;
}

}  // namespace torque::jobs
