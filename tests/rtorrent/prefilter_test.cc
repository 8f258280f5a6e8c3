// Condition::RtorrentPrefilter. Every expression below was run through
// d.multicall.filtered on rTorrent 0.9.8 with eight varied items and compared with the
// client-side match: exact ones selected the same items, the others a superset.
#include <gtest/gtest.h>

#include <regex>
#include <string>

#include "jobs/rtorrent/condition.h"
#include "tests/rtorrent/query_test_util.h"

namespace torque::rtorrent {
namespace {

constexpr TimeSec kNow = 1795459800;

std::string Prefilter(const std::string& text) {
  auto condition = ParseCondition(text);
  EXPECT_TRUE(condition.ok()) << text;
  if (!condition.ok()) return "<error>";
  return condition->RtorrentPrefilter(kNow).value_or("<none>");
}

TEST(PrefilterTest, Terms) {
  testing::SetTimeZone("UTC0");
  const std::pair<const char*, const char*> cases[] = {
      {"is_open=no", "equal=d.is_open=,value=0"},
      {"is_private=yes", "equal=d.is_private=,value=1"},
      {"is_complete=1", "equal=d.complete=,value=1"},
      {"is_ignored=no", "equal=d.ignore_commands=,value=0"},
      {"is_multi_file=y", "equal=d.is_multi_file=,value=1"},
      {"is_active=n", "equal=d.is_active=,value=0"},
      {"prio>0", "greater=value=$d.priority=,value=0"},
      {"prio<2", "less=value=$d.priority=,value=2"},
      {"prio>=2", "not=\"$less=value=$d.priority=,value=2\""},
      {"prio!=2", "not=\"$equal=value=$d.priority=,value=2\""},
      {"prio>1.5", "greater=value=$d.priority=,value=1"},
      {"prio<1.5", "less=value=$d.priority=,value=2"},
      {"prio=1.5", "<none>"},  // no integer equals 1.5
      {"size>100k", "greater=value=$d.size_bytes=,value=102400"},
      {"size<1.5k", "less=value=$d.size_bytes=,value=1536"},
      {"size=300000", "equal=value=$d.size_bytes=,value=300000"},
      {"uploaded=0", "equal=value=$d.up.total=,value=0"},
      {"down>3", "greater=value=$d.down.rate=,value=3"},
      {"up<1k", "less=value=$d.up.rate=,value=1024"},
      {"fno>1", "greater=value=$d.size_files=,value=1"},
      {"ratio>1.5", "greater=value=$d.ratio=,value=1500"},
      // 1001 / 1000.0 == 1.001 is not greater than 1.001: the bound is 1001, not 1000.
      {"ratio>1.001", "greater=value=$d.ratio=,value=1001"},
      {"ratio<=0.0005", "not=\"$greater=value=$d.ratio=,value=0\""},
      {"name=foo*", "match={d.name=,foo.*}"},
      {"name=*bar*", "match={d.name=,.*bar.*}"},
      {"name=ALPHA-beta", "match={d.name=,alpha-beta}"},
      {"name=foo.bar*", "match={d.name=,.*foo.*}"},  // longest safe piece, a superset
      {"name=f?o*", "match={d.name=,.*f.*}"},
      {"name=[ab]*", "<none>"},
      {"name~alpha", "match={d.name=,.*alpha.*}"},
      {"name~a.b", "<none>"},
      {"name=\xC3\xA4*", "<none>"},
      // rTorrent folds ASCII only: non-ASCII letters are never sent, and the two code points
      // whose lower case is ASCII are written out beside 'k' and a final 'i'.
      {"name=*über*", "match={d.name=,.*ber.*}"},
      {"*MOTÖRHEAD*", "match={d.name=,.*rhead.*}"},
      {"name=/motörhead/", "<none>"},
      {"name=*kelvin*", "match={d.name=,.*(k|K)elvin.*}"},
      {"name=linux*", "match={d.name=,linux.*}"},
      {"name=*ubuntu-mini*", "match={d.name=,.*ubuntu-min(i|İ).*}"},
      {"name=mini", "match={d.name=,mini}"},
      {"name=/mini/", "match={d.name=,.*min(i|İ).*}"},
      {"name=*i.x*", "match={d.name=,.*(i|İ).*}"},
      {"name=kiwi*", "match={d.name=,^(k|K)iw(i|İ).*}"},  // never '(' first
      {"tagged=kiwi", "match={d.custom=tags,.*(k|K)iw(i|İ).*}"},
      {"hash=DEF*", "match={d.hash=,def.*}"},
      {"message=", "equal=d.message=,cat="},
      {"message=!", "not=\"$equal=d.message=,cat=\""},
      {"message=/ghost/", "match={d.message=,.*ghost.*}"},
      {"message=/^$|ghost/", "<none>"},  // pyrocore reduced this to "contains ghost"
      {"tagged=foo", "match={d.custom=tags,.*foo.*}"},
      {"tagged==foo", "match={d.custom=tags,.*foo.*}"},
      {"tagged=", "<none>"},
      {"tagged=!foo", "<none>"},  // a substring test cannot be negated
      {"loaded>1d", "less=value=$d.custom=tm_loaded,value=1795373400"},
      {"loaded<1d", "greater=value=$d.custom=tm_loaded,value=1795373400"},
      {"started>2024-01-01", "greater=value=$d.custom=tm_started,value=1704067200"},
      {"completed=0", "equal=value=$d.custom=tm_completed,value=0"},
      {"completed!=0", "<none>"},
      {"done=0", "<none>"},
      {"path=/x/*", "<none>"},
      {"kind_50=mkv", "<none>"},
  };
  for (const auto& [text, expected] : cases) EXPECT_EQ(Prefilter(text), expected) << text;
}

// rTorrent's match= is std::regex with icase on bytes in the C locale: what this runs.
bool RtorrentMatch(const std::string& expr, const std::string& name) {
  const std::string head = "match={d.name=,";
  if (expr.rfind(head, 0) != 0 || expr.back() != '}') {
    ADD_FAILURE() << "not a single match: " << expr;
    return true;
  }
  const std::string regex = expr.substr(head.size(), expr.size() - head.size() - 1);
  return std::regex_match(name, std::regex(regex, std::regex::icase));
}

TEST(PrefilterTest, NonAsciiStaysASuperset) {
  const char* names[] = {"Über Alles", "über alles", "UBER",     "Motörhead - Ace",
                         "MOTÖRHEAD",  "Kelvin",     "İstanbul", "xMinİ",
                         "mini",       "Linux",      "lİnux",    "Kiwİ"};
  const char* conditions[] = {"name=*über*", "*MOTÖRHEAD*", "name=*kelvin*", "name=kelvin",
                              "name=i*",     "name=*mini*", "name=*min",     "name=mini",
                              "name=/mini/", "name=*inux",  "name=linux",    "name=*i*",
                              "name=İ*",     "name=*K*",    "name=*kiwi*",   "name=*ki*"};
  for (const char* text : conditions) {
    auto condition = ParseCondition(text);
    ASSERT_TRUE(condition.ok()) << text;
    const auto expr = condition->RtorrentPrefilter(kNow);
    if (!expr) continue;
    for (const char* name : names) {
      if (condition->Match(testing::MakeItem({{"d.name=", name}}), kNow)) {
        EXPECT_TRUE(RtorrentMatch(*expr, name)) << text << " dropped " << name << ": " << *expr;
      }
    }
  }
}

TEST(PrefilterTest, AndOrNot) {
  const std::pair<const char*, const char*> cases[] = {
      {"is_open=no is_active=no is_complete=no is_ignored=no done=0 message=/^$|ghost/ prio>0",
       "and={\"equal=d.is_open=,value=0\",\"equal=d.is_active=,value=0\","
       "\"equal=d.complete=,value=0\",\"equal=d.ignore_commands=,value=0\","
       "\"greater=value=$d.priority=,value=0\"}"},
      {"prio>1 OR is_private=yes",
       "or={\"greater=value=$d.priority=,value=1\",\"equal=d.is_private=,value=1\"}"},
      {"prio>1 OR done>3", "<none>"},  // an untranslatable alternative lets anything through
      {"prio=1,3",
       "or={\"equal=value=$d.priority=,value=1\",\"equal=value=$d.priority=,value=3\"}"},
      {"prio=!1,3",
       "or={\"not=\\\"$equal=value=$d.priority=,value=1\\\"\","
       "\"equal=value=$d.priority=,value=3\"}"},
      {"NOT prio>1 is_private=no",
       "not=\"$and={\\\"greater=value=$d.priority=,value=1\\\","
       "\\\"equal=d.is_private=,value=0\\\"}\""},
      {"[ NOT name=foo* ] prio>0",
       "and={\"not=\\\"$match={d.name=,foo.*}\\\"\",\"greater=value=$d.priority=,value=0\"}"},
      // An inexact part cannot be negated: only prio>0 remains.
      {"[ NOT name=foo.bar* ] prio>0", "greater=value=$d.priority=,value=0"},
      {"is_open=no [ NOT is_private=yes prio>1 ]",
       "and={\"equal=d.is_open=,value=0\",\"not=\\\"$and={\\\\\\\"equal=d.is_private=,"
       "value=1\\\\\\\",\\\\\\\"greater=value=$d.priority=,value=1\\\\\\\"}\\\"\"}"},
      {"NOT [ NOT is_private=yes OR prio<1 ]",
       "not=\"$not=\\\"$or={\\\\\\\"equal=d.is_private=,value=1\\\\\\\",\\\\\\\"less=value="
       "$d.priority=,value=1\\\\\\\"}\\\"\""},
      {"[ prio>2 OR name=*bar* ] [ NOT tagged=x is_private=yes ]",
       "or={\"greater=value=$d.priority=,value=2\",\"match={d.name=,.*bar.*}\"}"},
      {"done>1 kind_50=mkv", "<none>"},
      {"done>1 FooBar", "match={d.name=,foobar}"},
  };
  for (const auto& [text, expected] : cases) EXPECT_EQ(Prefilter(text), expected) << text;
}

}  // namespace
}  // namespace torque::rtorrent
