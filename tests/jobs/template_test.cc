#include "jobs/template.h"

#include <gtest/gtest.h>

namespace torque::jobs {
namespace {

const std::vector<std::string> kNames = {"path", "hash"};
const std::string kKnown = " (known: {path} {hash}; write {{ and }} for literal braces)";

std::string Expanded(const std::string& text) {
  auto t = Template::Parse(text, kNames);
  if (!t.ok()) return "<error> " + t.status().message();
  return t->Expand([](std::string_view name) { return "<" + std::string(name) + ">"; });
}

TEST(TemplateTest, ExpansionGolden) {
  const std::pair<std::string, std::string> cases[] = {
      {"", ""},
      {"plain", "plain"},
      {"{path}", "<path>"},
      {"a {path} b {hash}{path}", "a <path> b <hash><path>"},
      {"{{path}} }}{{", "{path} }{"},
      {"{{{hash}}}", "{<hash>}"},
      {"{nope}", "<error> unknown placeholder '{nope}'" + kKnown},
      {"{PATH}", "<error> unknown placeholder '{PATH}'" + kKnown},
      {"x {path", "<error> unmatched '{'" + kKnown},
      {"x } y", "<error> unmatched '}'" + kKnown},
      {"{}", "<error> unknown placeholder '{}'" + kKnown},
  };
  for (const auto& [text, want] : cases) EXPECT_EQ(Expanded(text), want) << text;
}

TEST(TemplateTest, UsesAndIsOnly) {
  auto t = Template::Parse("{path}", kNames);
  ASSERT_TRUE(t.ok());
  EXPECT_TRUE(t->IsOnly("path"));
  EXPECT_TRUE(t->Uses("path"));
  EXPECT_FALSE(t->Uses("hash"));
  auto u = Template::Parse("x{path}", kNames);
  ASSERT_TRUE(u.ok());
  EXPECT_FALSE(u->IsOnly("path"));
  EXPECT_TRUE(u->Uses("path"));
  auto literal = Template::Parse("{{path}}", kNames);
  ASSERT_TRUE(literal.ok());
  EXPECT_FALSE(literal->Uses("path"));
}

}  // namespace
}  // namespace torque::jobs
