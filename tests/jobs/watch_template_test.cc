#include "jobs/watch_template.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace torque::jobs {
namespace {

using Vars = std::map<std::string, std::string>;

const std::string kKnown =
    " (known: pathname info_hash info_name tracker_alias watch_path relpath rel_path flags "
    "filetype label traits traits.kind)";
const std::string kSupported =
    " (supported: {{var}}, {{# comment}}, {{if}}/{{elif}}/{{else}}/{{endif}} with var, not var, "
    "==, !=, in)";
const std::string kPercentHint = " (write %% for a literal %, %(name)s for a variable)";

// A metafile dropped into /watch/tv/start (no rel_path: it falls back to relpath).
const Vars kShow = {
    {"pathname", "/watch/tv/start/Show.S01E01.torrent"},
    {"info_hash", "0123456789ABCDEF0123456789ABCDEF01234567"},
    {"info_name", "Show.S01E01.720p.mkv"},
    {"tracker_alias", "LOCAL"},
    {"watch_path", "/watch"},
    {"relpath", "tv/start"},
    {"flags", "tv start Show S01E01 torrent"},
    {"filetype", ".mkv"},
    {"label", "tv/mkv"},
    {"traits.kind", "tv"},
};

std::string Expanded(const std::string& text, const Vars& vars = kShow) {
  Result<WatchTemplate> t = WatchTemplate::Parse(text);
  if (!t.ok()) return "<error> " + t.status().message();
  return t->Expand(vars);
}

TEST(WatchTemplateTest, VariablesInMessageOrder) {
  const std::vector<std::string> want = {"pathname",   "info_hash", "info_name", "tracker_alias",
                                         "watch_path", "relpath",   "rel_path",  "flags",
                                         "filetype",   "label",     "traits",    "traits.kind"};
  EXPECT_EQ(WatchTemplateVariables(), want);
}

TEST(WatchTemplateTest, ExpansionGolden) {
  const std::pair<std::string, std::string> cases[] = {
      // Literal commands, trimmed.
      {"", ""},
      {"   \n\t ", ""},
      {"d.priority.set=0", "d.priority.set=0"},
      {"f.multicall=*.nfo,f.set_priority=2", "f.multicall=*.nfo,f.set_priority=2"},
      {"  d.priority.set=0 \r\n", "d.priority.set=0"},
      {"}} { } {x}", "}} { } {x}"},
      {"100%%", "100%"},
      {"%%(label)s", "%(label)s"},
      // %-interpolation.
      {"d.custom1.set=%(label)s", "d.custom1.set=tv/mkv"},
      {"%(relpath)s/%(rel_path)s", "tv/start/tv/start"},
      {"%(traits)s %(traits.kind)s", "tv tv"},
      {"%(info_hash)s%%%(filetype)s", "0123456789ABCDEF0123456789ABCDEF01234567%.mkv"},
      {"{x} %(label)s", "{x} tv/mkv"},
      // Tempita: any "{{" switches, and then '%' is literal.
      {"{{label}}", "tv/mkv"},
      {"x {{ label }} y", "x tv/mkv y"},
      {"{{\tlabel\n}}", "tv/mkv"},
      {"100% {{label}} %(label)s", "100% tv/mkv %(label)s"},
      {"{{label}}}}", "tv/mkv}}"},
      {"{{traits}}/{{traits.kind}}", "tv/tv"},
      {"{{rel_path}}", "tv/start"},
      {"a {{# comment }}b", "a b"},
      {"a{{#}}b", "ab"},
      {"a{{  # spaced comment }}b", "ab"},
      {"{{# a comment\n  over {{ lines\n}}d.x=1", "d.x=1"},
      {"{{# only a comment }}", ""},
      // if / elif / else.
      {"{{if label}}yes{{endif}}", "yes"},
      {"{{if not label}}yes{{endif}}", ""},
      {"{{if not nothing_set}}x{{endif}}",
       "<error> unknown variable 'nothing_set' in "
       "'{{if not nothing_set}}'" +
           kKnown},
      {"{{if label == 'tv/mkv'}}tv{{else}}other{{endif}}", "tv"},
      {"{{if label == \"movie/mkv\"}}movie{{else}}other{{endif}}", "other"},
      {"{{if label != 'tv/mkv'}}a{{elif relpath == 'tv/start'}}b{{else}}c{{endif}}", "b"},
      {"{{if label != 'tv/mkv'}}a{{elif relpath == 'x'}}b{{else}}c{{endif}}", "c"},
      {"{{if label != 'tv/mkv'}}a{{elif relpath == 'x'}}b{{endif}}", ""},
      {"{{ if label }}a{{ else }}b{{ endif }}", "a"},
      {"{{if traits == 'tv'}}{{traits}}{{endif}}", "tv"},
      {"{{if label == ''}}empty{{else}}set{{endif}}", "set"},
      {"{{if label=='tv/mkv'}}packed{{endif}}", "packed"},
      {"{{if label == 'a b'}}x{{endif}}{{if info_name == 'Show.S01E01.720p.mkv'}}y{{endif}}", "y"},
      // Nesting.
      {"{{if label}}<{{if relpath == 'tv/start'}}{{relpath}}{{else}}no{{endif}}>{{endif}}",
       "<tv/start>"},
      {"{{if not label}}a{{else}}{{if 'x' in relpath}}b{{elif 'tv' in relpath}}"
       "{{if 'start' in flags}}c{{endif}}d{{endif}}{{endif}}",
       "cd"},
      // in: membership for flags, substring for every other variable.
      {"{{if 'start' in flags}}start{{endif}}", "start"},
      {"{{if 'star' in flags}}star{{else}}no{{endif}}", "no"},
      {"{{if 'star' in relpath}}star{{endif}}", "star"},
      {"{{if 'start' not in flags}}a{{else}}b{{endif}}", "b"},
      {"{{if 'sta' not in flags}}a{{else}}b{{endif}}", "a"},
      {"{{if \"/mk\" in label}}mk{{endif}}", "mk"},
      {"{{if '' in label}}always{{endif}}", "always"},
      {"{{if '' in flags}}never{{endif}}", ""},
      {"{{if 'S01E01 torrent' in flags}}never{{endif}}", ""},
      // A literal may hold what would be syntax elsewhere.
      {"{{if label != \"it's\"}}q{{endif}}", "q"},
      {"{{if 'not in' not in label}}q{{endif}}", "q"},
      // Line breaks inside the output stay; only the ends are trimmed.
      {"{{if label}}\n  d.a=1\n{{endif}}\n", "d.a=1"},
      {"a\n{{label}}\nb", "a\ntv/mkv\nb"},
      // Columns count characters, not bytes.
      {"é{{nope", "<error> unterminated '{{' at column 2"},
  };
  for (const auto& [text, want] : cases) EXPECT_EQ(Expanded(text), want) << text;
}

TEST(WatchTemplateTest, EveryVariableInBothForms) {
  Vars vars;
  for (const std::string& name : WatchTemplateVariables()) vars[name] = "<" + name + ">";
  vars.erase("traits");  // `traits` renders traits.kind
  for (const std::string& name : WatchTemplateVariables()) {
    const std::string want = name == "traits" ? "<traits.kind>" : "<" + name + ">";
    EXPECT_EQ(Expanded("{{" + name + "}}", vars), want) << name;
    EXPECT_EQ(Expanded("%(" + name + ")s", vars), want) << name;
    EXPECT_EQ(Expanded("{{if " + name + "}}set{{endif}}", vars), "set") << name;
    EXPECT_EQ(Expanded("{{if not " + name + "}}unset{{endif}}", Vars{}), "unset") << name;
  }
}

TEST(WatchTemplateTest, MissingVariablesExpandEmpty) {
  EXPECT_EQ(Expanded("x=%(label)s;", Vars{}), "x=;");
  EXPECT_EQ(Expanded("x={{label}}{{traits}};", Vars{}), "x=;");
  EXPECT_EQ(Expanded("{{label}}", Vars{}), "");
  EXPECT_EQ(Expanded("{{if label == ''}}e{{endif}}", Vars{}), "e");
  EXPECT_EQ(Expanded("{{if 'a' in flags}}a{{else}}none{{endif}}", Vars{}), "none");
}

TEST(WatchTemplateTest, RelpathAndRelPathStandInForEachOther) {
  EXPECT_EQ(Expanded("{{relpath}}|{{rel_path}}", {{"rel_path", "ps"}}), "ps|ps");
  EXPECT_EQ(Expanded("%(relpath)s|%(rel_path)s", {{"relpath", "pc"}}), "pc|pc");
  EXPECT_EQ(Expanded("{{relpath}}|{{rel_path}}", {{"relpath", "pc"}, {"rel_path", "."}}), "pc|.");
  EXPECT_EQ(Expanded("{{if 'ps' in relpath}}y{{endif}}", {{"rel_path", "ps"}}), "y");
}

// The examples of pyrocore's torque.ini documentation, as the INI reader hands them over
// (continuation lines joined with '\n', their leading blanks kept or not).
TEST(WatchTemplateTest, PyrocoreExamples) {
  const std::string nfo = "f.multicall=*.nfo,f.set_priority=2";
  const std::string targets[] = {
      "{{# set target path\n    }}d.custom.set=targetdir,/var/torrent/done/{{label}}/{{relpath}}",
      "{{# set target path\n}}d.custom.set=targetdir,/var/torrent/done/{{label}}/{{relpath}}",
  };
  const std::string label = "{{if relpath}}d.custom1.set={{relpath}}{{endif}}";

  EXPECT_EQ(Expanded(nfo), nfo);
  for (const std::string& target : targets) {
    EXPECT_EQ(Expanded(target), "d.custom.set=targetdir,/var/torrent/done/tv/mkv/tv/start");
  }
  EXPECT_EQ(Expanded(label), "d.custom1.set=tv/start");

  Vars at_root = kShow;
  at_root["relpath"] = "";
  EXPECT_EQ(Expanded(label, at_root), "");
  EXPECT_EQ(Expanded(targets[0], at_root), "d.custom.set=targetdir,/var/torrent/done/tv/mkv/");

  Result<WatchTemplate> t = WatchTemplate::Parse(nfo);
  ASSERT_TRUE(t.ok());
  EXPECT_TRUE(t->IsLiteral());
  for (const std::string& text : {targets[0], targets[1], label}) {
    Result<WatchTemplate> u = WatchTemplate::Parse(text);
    ASSERT_TRUE(u.ok()) << u.status().message();
    EXPECT_FALSE(u->IsLiteral()) << text;
  }
}

TEST(WatchTemplateTest, ErrorGolden) {
  const std::pair<std::string, std::string> cases[] = {
      // Unknown variables, in both syntaxes and in tests.
      {"{{x}}", "unknown variable 'x' in '{{x}}'" + kKnown},
      {"a {{ Label }}", "unknown variable 'Label' in '{{ Label }}'" + kKnown},
      {"{{traits.show}}", "unknown variable 'traits.show' in '{{traits.show}}'" + kKnown},
      {"{{None}}", "unknown variable 'None' in '{{None}}'" + kKnown},
      {"{{if x}}a{{endif}}", "unknown variable 'x' in '{{if x}}'" + kKnown},
      {"{{if label}}{{elif x == 'a'}}{{endif}}",
       "unknown variable 'x' in '{{elif x == 'a'}}'" + kKnown},
      {"{{if 'a' not in\nx}}{{endif}}", "unknown variable 'x' in '{{if 'a' not in x}}'" + kKnown},
      {"%(x)s", "unknown variable 'x' in '%(x)s'" + kKnown},
      {"a %(info hash)s", "unknown variable 'info hash' in '%(info hash)s'" + kKnown},
      {"%()s", "unknown variable '' in '%()s'" + kKnown},
      // Structure.
      {"ab{{label", "unterminated '{{' at column 3"},
      {"{{label}} {{", "unterminated '{{' at column 11"},
      {"{{}}", "empty '{{}}' at column 1"},
      {"x{{ \n }}", "empty '{{}}' at column 2"},
      {"{{else}}", "'{{else}}' without '{{if}}' at column 1"},
      {"a{{elif label}}", "'{{elif}}' without '{{if}}' at column 2"},
      {"{{elif}}", "'{{elif}}' without '{{if}}' at column 1"},
      {"{{if label}}{{endif}}{{endif}}", "'{{endif}}' without '{{if}}' at column 22"},
      {"{{if label}}x", "'{{if}}' without '{{endif}}' at column 1"},
      {"{{if label}}{{if relpath}}x{{endif}}", "'{{if}}' without '{{endif}}' at column 1"},
      {"{{if label}}{{if relpath}}x", "'{{if}}' without '{{endif}}' at column 13"},
      {"{{if label}}{{else}}{{elif relpath}}{{endif}}", "'{{elif}}' after '{{else}}' at column 21"},
      {"{{if label}}{{else}}{{else}}{{endif}}", "'{{else}}' after '{{else}}' at column 21"},
      // Tempita beyond the subset.
      {"{{if}}x{{endif}}", "unsupported template expression 'if' at column 1" + kSupported},
      {"{{if label}}{{elif}}{{endif}}",
       "unsupported template expression 'elif' at column 13" + kSupported},
      {"{{for f in flags}}{{f}}{{endfor}}",
       "unsupported template expression 'for f in flags' at column 1" + kSupported},
      {"{{endfor}}", "unsupported template expression 'endfor' at column 1" + kSupported},
      {"{{py:x = 1}}", "unsupported template expression 'py:x = 1' at column 1" + kSupported},
      {"{{default x = 1}}",
       "unsupported template expression 'default x = 1' at column 1" + kSupported},
      {"{{h.sz(label)}}", "unsupported template expression 'h.sz(label)' at column 1" + kSupported},
      {"{{label|upper}}", "unsupported template expression 'label|upper' at column 1" + kSupported},
      {"{{flags[0]}}", "unsupported template expression 'flags[0]' at column 1" + kSupported},
      {"{{info_name + 'x'}}",
       "unsupported template expression 'info_name + 'x'' at column 1" + kSupported},
      {"{{1}}", "unsupported template expression '1' at column 1" + kSupported},
      {"{{label.}}", "unsupported template expression 'label.' at column 1" + kSupported},
      {"{{if label and relpath}}{{endif}}",
       "unsupported template expression 'if label and relpath' at column 1" + kSupported},
      {"{{if label == relpath}}{{endif}}",
       "unsupported template expression 'if label == relpath' at column 1" + kSupported},
      {"{{if 'tv' == label}}{{endif}}",
       "unsupported template expression 'if 'tv' == label' at column 1" + kSupported},
      {"{{if label in 'tv'}}{{endif}}",
       "unsupported template expression 'if label in 'tv'' at column 1" + kSupported},
      {"{{if not 'a' in flags}}{{endif}}",
       "unsupported template expression 'if not 'a' in flags' at column 1" + kSupported},
      {"{{if label == 'a}}{{endif}}",
       "unsupported template expression 'if label == 'a' at column 1" + kSupported},
      {"{{if label == 'a\\'b'}}{{endif}}",
       "unsupported template expression 'if label == 'a\\'b'' at column 1" + kSupported},
      {"{{if label = 'a'}}{{endif}}",
       "unsupported template expression 'if label = 'a'' at column 1" + kSupported},
      {"{{if not}}{{endif}}", "unsupported template expression 'if not' at column 1" + kSupported},
      {"{{if(label)}}{{endif}}",
       "unsupported template expression 'if(label)' at column 1" + kSupported},
      {"{{if label}}{{else if relpath}}{{endif}}",
       "unsupported template expression 'else if relpath' at column 13" + kSupported},
      {"{{if label}}{{endif label}}",
       "unsupported template expression 'endif label' at column 13" + kSupported},
      {"{{if label}}\n{{ for\tx }}",
       "unsupported template expression 'for x' at column 14" + kSupported},
      // The %-interpolation.
      {"100%", "bad '%' at column 4" + kPercentHint},
      {"%s", "bad '%' at column 1" + kPercentHint},
      {"ab %d", "bad '%' at column 4" + kPercentHint},
      {"%(label)", "bad '%' at column 1" + kPercentHint},
      {"%(label)d", "bad '%' at column 1" + kPercentHint},
      {"%(label)r", "bad '%' at column 1" + kPercentHint},
      {"x %(label", "bad '%' at column 3" + kPercentHint},
      {"%%%", "bad '%' at column 3" + kPercentHint},
      {"%(label)s %-5s", "bad '%' at column 11" + kPercentHint},
      {"ü %", "bad '%' at column 3" + kPercentHint},
  };
  for (const auto& [text, want] : cases) {
    Result<WatchTemplate> t = WatchTemplate::Parse(text);
    ASSERT_FALSE(t.ok()) << text;
    EXPECT_EQ(t.status().code(), Status::Code::kInvalidArgument) << text;
    EXPECT_EQ(t.status().message(), want) << text;
  }
}

TEST(WatchTemplateTest, NestingLimit) {
  const auto nested = [](int depth) {
    std::string text;
    for (int i = 0; i < depth; ++i) text += "{{if label}}";
    text += "deep";
    for (int i = 0; i < depth; ++i) text += "{{endif}}";
    return text;
  };
  EXPECT_EQ(Expanded(nested(WatchTemplate::kMaxDepth)), "deep");
  EXPECT_EQ(Expanded(nested(WatchTemplate::kMaxDepth + 1)),
            "<error> '{{if}}' nested deeper than 32 at column " +
                std::to_string(12 * WatchTemplate::kMaxDepth + 1));
}

TEST(WatchTemplateTest, IsLiteral) {
  const std::pair<std::string, bool> cases[] = {
      {"", true},
      {"d.priority.set=0", true},
      {"100%%", true},
      {"a{{# comment }}b", true},
      {"}}", true},
      {"%(label)s", false},
      {"{{label}}", false},
      {"{{if label}}x{{endif}}", false},
      {"{{if label}}{{endif}}", false},
  };
  for (const auto& [text, want] : cases) {
    Result<WatchTemplate> t = WatchTemplate::Parse(text);
    ASSERT_TRUE(t.ok()) << text << ": " << t.status().message();
    EXPECT_EQ(t->IsLiteral(), want) << text;
  }
}

TEST(WatchTemplateTest, DefaultAndCopies) {
  const WatchTemplate empty;
  EXPECT_TRUE(empty.IsLiteral());
  EXPECT_EQ(empty.Expand(kShow), "");

  Result<WatchTemplate> t = WatchTemplate::Parse("d.custom1.set={{label}}");
  ASSERT_TRUE(t.ok());
  const WatchTemplate copy = *t;
  t = WatchTemplate::Parse("other");
  EXPECT_EQ(copy.Expand(kShow), "d.custom1.set=tv/mkv");
  EXPECT_EQ(t->Expand(kShow), "other");
}

}  // namespace
}  // namespace torque::jobs
