// ItemTemplate: pyrosimple-style {{d.FIELD}} values rendered from an item's fields.
#include "jobs/item_template.h"

#include <gtest/gtest.h>

#include "tests/rtorrent/query_test_util.h"

namespace torque::jobs {
namespace {

using rtorrent::Array;
using rtorrent::Value;
using rtorrent::testing::MakeItem;

rtorrent::Item Sample() {
  return MakeItem({{"d.hash=", "0123456789ABCDEF0123456789ABCDEF01234567"},
                   {"d.name=", "Show.S01E02.mkv"},
                   {"d.directory=", "/data/in"},
                   {"d.is_multi_file=", Value(int64_t{0})},
                   {"d.custom1=", "tv"},
                   {"d.custom=note", "a note"},
                   {"d.complete=", Value(int64_t{1})},
                   {"d.ratio=", Value(int64_t{1500})},
                   {"d.size_bytes=", Value(int64_t{1024})},
                   {"d.custom=tags", "B a"}},
                  {"custom_note", "custom_1"});
}

std::string Render(std::string_view text) {
  auto t = ItemTemplate::Parse(text);
  EXPECT_TRUE(t.ok()) << t.status().message();
  return t.ok() ? t->Render(Sample()) : "";
}

TEST(ItemTemplateTest, FieldsRenderAsPlainText) {
  EXPECT_EQ(Render("/done/{{d.label}}/{{d.name}}"), "/done/tv/Show.S01E02.mkv");
  EXPECT_EQ(Render("{{item.hash}} {{d.custom1}} {{d.custom_note}}"),
            "0123456789ABCDEF0123456789ABCDEF01234567 tv a note");
  EXPECT_EQ(Render("{{d.path}}|{{d.base_path}}"),
            "/data/in/Show.S01E02.mkv|/data/in/Show.S01E02.mkv");
  EXPECT_EQ(Render("{{d.is_complete}} {{d.ratio}} {{d.size}} [{{d.tagged}}] [{{d.custom_x}}]"),
            "1 1.5 1024 [a b] []");
  EXPECT_EQ(Render("{{if d.label == 'tv'}}shows{{else}}other{{endif}}"), "shows");
  EXPECT_EQ(Render("no fields, 100% literal"), "no fields, 100% literal");
}

TEST(ItemTemplateTest, FieldsAreListedForTheQuery) {
  auto t = ItemTemplate::Parse("{{d.label}}/{{d.name}}{{if d.is_complete}}x{{endif}}");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->Fields(), (std::vector<std::string>{"custom_1", "is_complete", "name"}));
  EXPECT_FALSE(t->IsLiteral());
  EXPECT_TRUE(ItemTemplate::Parse("/x")->IsLiteral());
}

TEST(ItemTemplateTest, UnknownNamesAreErrors) {
  for (const char* text : {"{{name}}", "{{d.nosuch}}", "{{x.name}}", "{{d.kind_101}}"}) {
    auto t = ItemTemplate::Parse(text);
    ASSERT_FALSE(t.ok()) << text;
    EXPECT_EQ(t.status().message().rfind("unknown variable '", 0), 0u) << t.status().message();
  }
  EXPECT_FALSE(ItemTemplate::Parse("{{d.name").ok());
}

TEST(ItemTemplateTest, FieldTextOfEveryKind) {
  EXPECT_EQ(FieldText(std::monostate{}), "");
  EXPECT_EQ(FieldText(false), "0");
  EXPECT_EQ(FieldText(int64_t{-3}), "-3");
  EXPECT_EQ(FieldText(0.25), "0.25");
  EXPECT_EQ(FieldText(std::vector<std::string>{"a", "b"}), "a b");
  EXPECT_EQ(FieldText(std::vector<rtorrent::FileInfo>{{"x/1", 1}, {"y", 2}}), "x/1 y");
}

}  // namespace
}  // namespace torque::jobs
