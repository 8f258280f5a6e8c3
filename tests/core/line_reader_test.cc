#include "core/line_reader.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/protocol.h"

namespace torque::protocol {
namespace {

// Every line Next() yields, too_long ones as "<too long>".
std::vector<std::string> Drain(LineReader& r) {
  std::vector<std::string> lines;
  while (auto line = r.Next()) {
    if (line->too_long) {
      EXPECT_TRUE(line->text.empty());
      lines.push_back("<too long>");
    } else {
      lines.push_back(line->text);
    }
  }
  return lines;
}

using Lines = std::vector<std::string>;

// Feeds `input` in pieces of `chunk` bytes, draining after each piece.
Lines FeedInChunks(LineReader& r, const std::string& input, std::size_t chunk) {
  Lines all;
  for (std::size_t i = 0; i < input.size(); i += chunk) {
    r.Feed(std::string_view(input).substr(i, chunk));
    for (auto& l : Drain(r)) all.push_back(std::move(l));
  }
  return all;
}

TEST(LineReaderTest, SplitsLines) {
  LineReader r(kMaxLine);
  r.Feed("PING\nSTATUS 5\n");
  EXPECT_EQ(Drain(r), (Lines{"PING", "STATUS 5"}));
  EXPECT_EQ(r.Next(), std::nullopt);
  EXPECT_EQ(r.buffered(), 0u);
}

TEST(LineReaderTest, StripsOneTrailingCarriageReturn) {
  LineReader r(kMaxLine);
  r.Feed("a\r\nb\r\nc\rd\ne\r\r\n\r\n\n");
  EXPECT_EQ(Drain(r), (Lines{"a", "b", "c\rd", "e\r", "", ""}));
}

TEST(LineReaderTest, WaitsForTheLineFeed) {
  LineReader r(kMaxLine);
  r.Feed("abc");
  EXPECT_EQ(r.Next(), std::nullopt);
  EXPECT_EQ(r.buffered(), 3u);
  r.Feed("def\r");
  EXPECT_EQ(r.Next(), std::nullopt);
  EXPECT_EQ(r.buffered(), 7u);
  r.Feed("\nxy");
  EXPECT_EQ(Drain(r), (Lines{"abcdef"}));
  EXPECT_EQ(r.buffered(), 2u);
}

TEST(LineReaderTest, ByteByByteFeedsGiveTheSameLines) {
  const std::string input = "PING\r\nSTATUS 5\n\nfetch a  b\r\n";
  for (std::size_t chunk : {1, 2, 3, 7, 100}) {
    LineReader r(kMaxLine);
    EXPECT_EQ(FeedInChunks(r, input, chunk), (Lines{"PING", "STATUS 5", "", "fetch a  b"}))
        << "chunk " << chunk;
  }
}

TEST(LineReaderTest, ManyLinesInOneFeed) {
  std::string input;
  Lines expected;
  for (int i = 0; i < 10000; ++i) {
    expected.push_back("STATUS " + std::to_string(i));
    input += expected.back() + (i % 2 ? "\r\n" : "\n");
  }
  LineReader r(kMaxLine);
  r.Feed(input);
  EXPECT_EQ(Drain(r), expected);
}

TEST(LineReaderTest, LimitIsTheLineWithoutItsEnding) {
  for (std::size_t chunk : {1, 3, 1000}) {
    LineReader r(10);
    Lines got = FeedInChunks(r,
                             "0123456789\n"      // exactly the limit
                             "0123456789\r\n"    // the limit plus CRLF
                             "01234567890\n"     // one byte over
                             "012345678\r\r\n"   // 9 bytes and a CR: 10
                             "0123456789\rX\n"   // CR inside: 12 bytes
                             "0123456789\r\r\n"  // 11 bytes
                             "ok\n",
                             chunk);
    EXPECT_EQ(got, (Lines{"0123456789", "0123456789", "<too long>", "012345678\r", "<too long>",
                          "<too long>", "ok"}))
        << "chunk " << chunk;
  }
}

TEST(LineReaderTest, OverlongLineIsReportedOnceThenTheNextLineIsFine) {
  const std::string input = "PING\n" + std::string(100 * 1024, 'x') + "\nSTATUS 5\n";
  for (std::size_t chunk : {input.size(), std::size_t{4096}, std::size_t{65537}}) {
    LineReader r(kMaxLine);
    EXPECT_EQ(FeedInChunks(r, input, chunk), (Lines{"PING", "<too long>", "STATUS 5"}))
        << "chunk " << chunk;
  }
}

TEST(LineReaderTest, OverlongLineIsReportedBeforeItsLineFeedArrives) {
  LineReader r(kMaxLine);
  r.Feed(std::string(kMaxLine + 1, 'x'));
  EXPECT_EQ(r.Next(), std::nullopt);  // could still end in CR LF
  r.Feed("x");
  auto line = r.Next();
  ASSERT_TRUE(line.has_value());
  EXPECT_TRUE(line->too_long);
  EXPECT_EQ(r.Next(), std::nullopt);
  r.Feed(std::string(5000, 'y'));
  EXPECT_EQ(r.Next(), std::nullopt);
  r.Feed("yyy\r\nPING\n");
  EXPECT_EQ(Drain(r), (Lines{"PING"}));
}

TEST(LineReaderTest, OverlongLineEndingInCarriageReturnStaysTooLong) {
  LineReader r(4);
  r.Feed("abcd\rX\nok\n");  // the cut falls right after the CR
  EXPECT_EQ(Drain(r), (Lines{"<too long>", "ok"}));
}

TEST(LineReaderTest, CompleteLinesBeforeAnOverlongOneComeFirst) {
  LineReader r(10);
  r.Feed("a\nb\n" + std::string(50, 'x'));  // not drained in between
  r.Feed("\nc\n");
  EXPECT_EQ(Drain(r), (Lines{"a", "b", "<too long>", "c"}));
}

TEST(LineReaderTest, DroppingCountsTheDiscardedBytesOfAnOverlongLine) {
  LineReader r(10);
  EXPECT_EQ(r.dropping(), 0u);
  r.Feed(std::string(11, 'x'));  // the limit + 1: kept as the marker
  EXPECT_EQ(r.dropping(), 0u);
  r.Feed(std::string(5, 'x'));
  EXPECT_EQ(r.dropping(), 5u);
  r.Feed(std::string(1000, 'x'));
  EXPECT_EQ(r.dropping(), 1005u);
  r.Feed("xx\nok\n");
  EXPECT_EQ(r.dropping(), 0u);
  EXPECT_EQ(Drain(r), (Lines{"<too long>", "ok"}));
  r.Feed(std::string(20, 'y'));  // a second overlong line counts from zero
  EXPECT_EQ(r.dropping(), 9u);
}

TEST(LineReaderTest, MemoryStaysBoundedWithoutLineFeeds) {
  LineReader r(kMaxLine);
  int too_long = 0;
  for (int i = 0; i < 1024; ++i) {
    r.Feed(std::string(1024, 'z'));  // 1 MiB in all, no LF
    EXPECT_LE(r.buffered(), kMaxLine + 1);
    for (auto& l : Drain(r)) too_long += l == "<too long>";
  }
  EXPECT_EQ(too_long, 1);
  LineReader once(kMaxLine);
  once.Feed(std::string(1024 * 1024, 'z'));
  EXPECT_LE(once.buffered(), kMaxLine + 1);
  once.Feed("\nPING\n");
  EXPECT_EQ(Drain(once), (Lines{"<too long>", "PING"}));
  r.Feed("zz\nPING\n");
  EXPECT_EQ(Drain(r), (Lines{"PING"}));
}

}  // namespace
}  // namespace torque::protocol
