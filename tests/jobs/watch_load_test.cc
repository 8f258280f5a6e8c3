// How the tree watch loads a metafile: its place in the trees, its flags, pyrocore's
// load-mode table, labels, watch.ini rules and the cmd.* commands.
#include "jobs/watch_load.h"

#include <gtest/gtest.h>

namespace torque::jobs {
namespace {

Metafile Meta(const std::string& name = "Some.Show.S01E02.720p.mkv") {
  Metafile m;
  m.info_hash = std::string(40, 'A');
  m.name = name;
  m.announce = "http://tracker.example.com:6969/announce";
  m.files = {{name, 1000}};
  m.size = 1000;
  return m;
}

TreeWatchSettings Settings(bool start = false, bool queued = false) {
  TreeWatchSettings s;
  s.roots = {"/w", "/other/root"};
  s.start = start;
  s.queued = queued;
  return s;
}

std::string Joined(const std::set<std::string>& flags) {
  std::string out;
  for (const std::string& f : flags) out += (out.empty() ? "" : " ") + f;
  return out;
}

TEST(WatchLoad, LocateFindsTheRootAndRelpath) {
  const std::vector<std::string> roots = {"/w", "/w2", "/"};
  WatchedPath a = Locate(roots, "/w/tv/start/x.torrent");
  EXPECT_EQ(a.root, "/w");
  EXPECT_EQ(a.dir, "/w/tv/start");
  EXPECT_EQ(a.relpath, "tv/start");
  WatchedPath b = Locate(roots, "/w/x.torrent");
  EXPECT_EQ(b.root, "/w");
  EXPECT_EQ(b.relpath, "");
  WatchedPath c = Locate(roots, "/w2/a/x.torrent");  // not below /w
  EXPECT_EQ(c.root, "/w2");
  EXPECT_EQ(c.relpath, "a");
  WatchedPath d = Locate(roots, "/elsewhere/x.torrent");
  EXPECT_EQ(d.root, "/");
  EXPECT_EQ(d.relpath, "elsewhere");
  WatchedPath e = Locate({"/w"}, "/tmp/x.torrent");
  EXPECT_EQ(e.root, "");
  EXPECT_EQ(e.relpath, "");
}

TEST(WatchLoad, FlagsAreCountedOnlyBelowTheRoot) {
  // "start" and "queue" above the root (pyrocore counted them) are not flags here.
  WatchedPath w = Locate({"/srv/start/queue/w"}, "/srv/start/queue/w/tv/load/a.b.start.torrent");
  EXPECT_EQ(Joined(PathFlags(w)), "a b load start torrent tv");
  WatchedPath top = Locate({"/srv/start"}, "/srv/start/x.torrent");
  EXPECT_EQ(Joined(PathFlags(top)), "torrent x");
}

TEST(WatchLoad, FolderLabelSkipsFlagFolders) {
  EXPECT_EQ(FolderLabel(Locate({"/w"}, "/w/tv/x.torrent")), "tv");
  EXPECT_EQ(FolderLabel(Locate({"/w"}, "/w/start/tv/hd/x.torrent")), "tv");
  EXPECT_EQ(FolderLabel(Locate({"/w"}, "/w/queue/x.torrent")), "");
  EXPECT_EQ(FolderLabel(Locate({"/w"}, "/w/x.torrent")), "");
}

// pyrocore's table (spec §3.3): queued × start → method, prio 0, announcement suffix.
TEST(WatchLoad, LoadModeTable) {
  struct Row {
    bool start, queued;
    const char* method;
    bool prio_off;
    const char* suffix;
  };
  const Row rows[] = {
      {true, false, "load.start_verbose", false, " [started]"},
      {false, false, "load.verbose", false, " [normal]"},
      {true, true, "load.verbose", false, " [queued] [startable]"},
      {false, true, "load.verbose", true, " [queued] [normal]"},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(std::string(row.method) + row.suffix);
    LoadPlan p =
        PlanLoad(Settings(row.start, row.queued), {}, Locate({"/w"}, "/w/tv/x.torrent"), Meta("x"));
    EXPECT_EQ(p.method, row.method);
    EXPECT_EQ(p.start, row.start);
    EXPECT_EQ(p.queued, row.queued);
    const bool has_prio =
        std::find(p.commands.begin(), p.commands.end(), "d.priority.set=0") != p.commands.end();
    EXPECT_EQ(has_prio, row.prio_off);
    EXPECT_EQ(p.announcement, std::string("TreeWatch: Loaded 'x' from '/w/tv/'") + row.suffix);
    EXPECT_EQ(p.commands.back(), "print=\"" + p.announcement + "\"");
  }
}

TEST(WatchLoad, FlagsOverrideTheModeAndStartWins) {
  auto plan = [](const std::string& path, bool start = false, bool queued = false) {
    return PlanLoad(Settings(start, queued), {}, Locate({"/w"}, path), Meta());
  };
  EXPECT_EQ(plan("/w/start/x.torrent").method, "load.start_verbose");
  EXPECT_EQ(plan("/w/x.start.torrent").method, "load.start_verbose");
  EXPECT_EQ(plan("/w/load/x.torrent", true).method, "load.verbose");
  EXPECT_EQ(plan("/w/x.load.torrent", true).method, "load.verbose");
  EXPECT_EQ(plan("/w/load/x.start.torrent").method, "load.start_verbose");  // start wins
  LoadPlan q = plan("/w/x.queue.torrent", true);
  EXPECT_TRUE(q.queued);
  EXPECT_EQ(q.method, "load.verbose");
  EXPECT_EQ(q.announcement,
            "TreeWatch: Loaded 'Some.Show.S01E02.720p.mkv' from '/w/' [queued] "
            "[startable]");
}

TEST(WatchLoad, RawAndMagnetTargets) {
  TreeWatchSettings s = Settings(true);
  s.load_raw = true;
  EXPECT_EQ(PlanLoad(s, {}, Locate({"/w"}, "/w/x.torrent"), Meta()).method,
            "load.raw_start_verbose");
  Metafile magnet = Meta();
  magnet.magnet = true;
  LoadPlan m = PlanLoad(s, {}, Locate({"/w"}, "/w/x.magnet"), magnet);
  EXPECT_FALSE(m.raw);
  EXPECT_EQ(m.method, "load.start_verbose");
}

TEST(WatchLoad, QuietDropsTheAnnouncement) {
  TreeWatchSettings s = Settings();
  s.quiet = true;
  EXPECT_TRUE(PlanLoad(s, {}, Locate({"/w"}, "/w/x.torrent"), Meta()).commands.empty());
}

TEST(WatchLoad, CommandsInNameOrderWithLabelFirstAndPrioLast) {
  TreeWatchSettings s = Settings(false, true);
  s.quiet = true;
  s.label_from_path = true;
  for (const auto& [name, text] : std::vector<std::pair<std::string, std::string>>{
           {"a", "d.custom.set=rel,\"{{relpath}}\""},
           {"b", "{{if 'tv' in flags}}d.priority.set=3{{endif}}"},
           {"c", "d.custom.set=kind,%(traits)s"},
           {"d", "{{# nothing }}"}}) {
    auto t = WatchTemplate::Parse(text);
    ASSERT_TRUE(t.ok()) << t.status().message();
    s.commands.push_back({name, *t});
  }
  LoadPlan p = PlanLoad(s, {}, Locate({"/w"}, "/w/tv/my shows/x.torrent"), Meta());
  EXPECT_EQ(p.label, "tv");
  EXPECT_EQ(p.commands, (std::vector<std::string>{
                            "d.custom1.set=\"tv\"", "d.custom.set=rel,\"tv/my shows\"",
                            "d.priority.set=3", "d.custom.set=kind,tv", "d.priority.set=0"}));
}

TEST(WatchLoad, TemplateVariables) {
  TreeWatchSettings s = Settings();
  Metafile m = Meta("Movie.Title.2019.1080p.BluRay.x264");
  m.files = {{"Movie/movie.mkv", 900}, {"Movie/movie.nfo", 10}};
  WatchedPath w = Locate(s.roots, "/w/films/x.queue.torrent");
  auto vars = TemplateVars(s, w, PathFlags(w), m);
  EXPECT_EQ(vars["pathname"], "/w/films/x.queue.torrent");
  EXPECT_EQ(vars["info_hash"], m.info_hash);
  EXPECT_EQ(vars["info_name"], "Movie.Title.2019.1080p.BluRay.x264");
  EXPECT_EQ(vars["tracker_alias"], "example.com");
  EXPECT_EQ(vars["watch_path"], "/w:/other/root");
  EXPECT_EQ(vars["relpath"], "films");
  EXPECT_EQ(vars["rel_path"], "films");
  EXPECT_EQ(vars["flags"], "films queue torrent x");
  EXPECT_EQ(vars["filetype"], ".mkv");
  EXPECT_EQ(vars["traits.kind"], "movie");
  EXPECT_EQ(vars["label"], "movie/mkv");
  WatchedPath top = Locate(s.roots, "/w/x.torrent");
  EXPECT_EQ(TemplateVars(s, top, PathFlags(top), m)["rel_path"], ".");
}

TEST(WatchLoad, WatchIniRulesOverrideTheSettingsAndFlagsOverrideThem) {
  TreeWatchSettings s = Settings();
  s.quiet = true;
  s.label_from_path = true;
  auto keep = WatchTemplate::Parse("d.custom.set=keep,1");
  auto drop = WatchTemplate::Parse("d.custom.set=drop,1");
  auto over = WatchTemplate::Parse("d.custom.set=keep,2");
  ASSERT_TRUE(keep.ok() && drop.ok() && over.ok());
  s.commands = {{"drop", *drop}, {"keep", *keep}};
  FolderRules rules;
  rules.start = true;
  rules.queued = false;
  rules.label = "Shows";
  rules.commands["drop"] = std::nullopt;
  rules.commands["keep"] = *over;
  LoadPlan p = PlanLoad(s, rules, Locate({"/w"}, "/w/tv/x.torrent"), Meta());
  EXPECT_EQ(p.method, "load.start_verbose");
  EXPECT_EQ(p.commands,
            (std::vector<std::string>{"d.custom1.set=\"Shows\"", "d.custom.set=keep,2"}));
  // The load flag beats watch.ini's load_mode; an empty label sets none.
  rules.label = "";
  LoadPlan q = PlanLoad(s, rules, Locate({"/w"}, "/w/tv/x.load.torrent"), Meta());
  EXPECT_EQ(q.method, "load.verbose");
  EXPECT_EQ(q.label, "");
}

}  // namespace
}  // namespace torque::jobs
