#include "jobs/rtorrent/traits.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace torque::rtorrent {
namespace {

using Strings = std::vector<std::string>;

TEST(MapAnnounceToAliasTest, ExactThenServerPrefixThenDomain) {
  AliasConfig config;
  config.announce = {{"OBT", {"http://tracker.obt.org:2710/announce"}},
                     {"Other", {"https://other.example.net/a/announce"}}};
  const std::pair<const char*, const char*> cases[] = {
      {"http://tracker.obt.org:2710/announce", "OBT"},      // exact
      {"http://tracker.obt.org:2710/xyz/announce", "OBT"},  // same scheme://host:port/
      {"http://tracker.obt.org/announce", "obt.org"},       // other port: domain
      {"https://other.example.net/b", "Other"},
      {"http://tracker.example.com:6969/announce", "example.com"},
      {"udp://tracker.opentrackr.org:1337/announce", "opentrackr.org"},
      {"http://localhost:8080/announce", "localhost"},
      {"http://127.0.0.1:6969/announce", "0.1"},  // pyrocore's last two labels
      {"http://user:pw@tr.example.org/a", "example.org"},
      {"http://example.org", "example.org"},
      {"PlainAlias", "PlainAlias"},  // not a URL: kept
      {"", ""},
  };
  for (const auto& [url, alias] : cases) EXPECT_EQ(MapAnnounceToAlias(url, config), alias) << url;
}

TEST(KindHistogramTest, SharesByExtension) {
  struct Case {
    std::vector<FileInfo> files;
    KindHistogram expected;
    const char* cache;
  } cases[] = {
      {{{"Show/ep.MKV", 800}, {"Show/info.nfo", 150}, {"Show/cover.jpeg", 50}},
       {{80, "mkv"}, {15, "nfo"}, {5, "jpg"}},
       "80%_mkv 15%_nfo 5%_jpg"},
      // .rNN is rar, mpeg is mpg; sizes of one extension add up.
      {{{"a.rar", 10}, {"a.r00", 10}, {"a.R01", 10}, {"a.r123", 10}, {"m.mpeg", 60}},
       {{60, "mpg"}, {40, "rar"}},
       "60%_mpg 40%_rar"},
      // No extension ("", hidden files, a dot only in the directory, a trailing dot).
      {{{"README", 25}, {".hidden", 25}, {"dir.x/file", 25}, {"a.", 25}}, {{100, ""}}, "100%_"},
      // Rounding: size * 100 / total + 0.499, truncated; ties sorted by extension, descending.
      {{{"a.x", 1}, {"b.y", 1}, {"c.z", 1}},
       {{33, "z"}, {33, "y"}, {33, "x"}},
       "33%_z 33%_y 33%_x"},
      {{{"a.big", 9950}, {"b.small", 50}},
       {{99, "big"}, {0, "small"}},  // 99.5 + .499 → 99 and 0.5 + .499 → 0: not 100 in all
       "99%_big 0%_small"},
      {{{"a.big", 9949}, {"b.small", 51}},
       {{99, "big"}, {1, "small"}},  // 99.49 + .499 = 99.989 → 99; 0.51 + .499 → 1
       "99%_big 1%_small"},
      // A total of 0 keeps the raw sums (pyrocore does not divide by zero).
      {{{"a.txt", 0}}, {{0, "txt"}}, "0%_txt"},
      // An extension with a blank is stored with '_'.
      {{{"a.b c", 1}}, {{100, "b c"}}, "100%_b_c"},
      {{}, {}, ""},
  };
  for (const auto& c : cases) {
    const KindHistogram histogram = KindHistogramOf(c.files);
    EXPECT_EQ(histogram, c.expected) << c.cache;
    EXPECT_EQ(FormatKindCache(histogram), c.cache);
  }
}

TEST(KindCacheTest, ParsesPyrocoresFormat) {
  EXPECT_EQ(ParseKindCache("80%_mkv 15%_nfo 5%_jpg"),
            (KindHistogram{{80, "mkv"}, {15, "nfo"}, {5, "jpg"}}));
  EXPECT_EQ(ParseKindCache("  100%_  "), (KindHistogram{{100, ""}}));
  EXPECT_EQ(ParseKindCache("1%_a%_b"), (KindHistogram{{1, "a%_b"}}));
  for (const char* bad :
       {"", "   ", "80%mkv", "%_mkv", "x%_mkv", "80%_mkv junk", "12345678901%_x"}) {
    EXPECT_FALSE(ParseKindCache(bad).has_value()) << bad;
  }
}

TEST(KindCacheTest, KindsAtLeastLimit) {
  const KindHistogram h = {{80, "mkv"}, {15, "nfo"}, {4, "jpg"}, {1, ""}};
  EXPECT_EQ(KindsAtLeast(h, 0), (Strings{"jpg", "mkv", "nfo"}));  // "" never counts
  EXPECT_EQ(KindsAtLeast(h, 15), (Strings{"mkv", "nfo"}));
  EXPECT_EQ(KindsAtLeast(h, 16), (Strings{"mkv"}));
  EXPECT_EQ(KindsAtLeast(h, 81), Strings{});
}

// Expected values produced by running pyrocore's own name_trait on these names.
TEST(NameTraitTest, MatchesPyrocore) {
  const std::pair<const char*, const char*> cases[] = {
      {"Show.S01E02.720p.HDTV.x264-GRP", "tv"},
      {"Show.Name.S01E02.Episode.Title.720p.WEB-DL.DD5.1.H.264-GRP.mkv", "tv"},
      {"Show Name 1x02 Title", "tv"},
      {"show.name.102.hdtv-lol", "tv"},
      {"Daily.Show.2024.03.15.Guest.Name.720p.WEB.h264-GRP", "tv"},
      {"Some.Show.S02.720p.BluRay.x264-GRP", "tv"},
      {"Some.Show.S02", "tv"},
      {"Mini.Series.Part1.720p.HDTV.x264-GRP", "tv"},
      {"Mini.Series.Pilot.DVDRip.XviD-GRP", "tv"},
      {"Mini.Series.Pt.II.XviD-GRP", "tv"},
      {"Show.S01E02E03.720p", "tv"},
      {"Show.S01E02-E03", "tv"},
      {"Foo.S1E01", "tv"},
      {"Just.A.Name.hdtv.only", "tv"},  // ".hdtv." is TV for certain
      {"Another.dsr.Thing", "tv"},
      {"The.Movie.2019.1080p.BDRip.x264-GRP", "movie"},
      {"The.Movie.(2019).DVDRip.XviD-GRP", "movie"},
      {"The Movie [2019] DVDRip", "movie"},
      {"A .B.(2019) .DVDRip", "movie"},
      {"The.Movie.2019.1080p.BluRay.x264-GRP", "movie"},
      {"The.Movie.2019.UNRATED.BluRay.DTS.x264-GRP", "movie"},
      {"The.Movie.2019.720p.HDRip.AC3.x264-GRP.mkv", "movie"},
      {"Movie.Title.2001.DVDRip", "movie"},
      {"Clean.Title.2019.DVDRip.XviD-GRP", "movie"},
      // The last TV pattern matched with a bad word in the show: movies are not tried.
      {"Clean.Title.2019.DVDRip.XviD-GRP.Pt.II", ""},
      {"720p.S01E01.HDTV", ""},  // bad word in the show
      {"BDRip.S01E01", ""},
      {"Some.Random.Album.Name", ""},
      {"VTS_01_1", ""},
      {"Foo 2010", ""},
      {"x", ""},
      {"", ""},
      {"debian-12.iso", ""},
  };
  for (const auto& [name, trait] : cases) EXPECT_EQ(NameTrait(name), trait) << name;
}

TEST(DetectTraitsTest, ByAliasExtensionAndName) {
  AliasConfig config;  // defaults: Debian = linux, jamendo.com = audio
  struct Case {
    const char* name;
    const char* alias;
    const char* filetype;
    Strings traits;
  } cases[] = {
      {"debian-12.iso", "Debian", "iso", {"linux", "iso"}},
      {"debian", "Debian", "", {"linux", "other"}},
      {"Album", "jamendo.com", "mp3", {"audio", "mp3"}},
      {"Album", "x.org", "flac", {"audio", "flac"}},
      {"Album", "x.org", ".ogg", {"audio", "ogg"}},
      {"Home.Video", "x.org", "mkv", {"video", "mkv"}},
      {"Show.S01E02.720p.HDTV.x264-GRP", "x.org", "mkv", {"tv", "mkv"}},
      {"The.Movie.2019.1080p.BDRip.x264-GRP", "x.org", "mkv", {"movie", "mkv"}},
      {"Photos", "x.org", "jpg", {"img", "jpg"}},
      {"Book", "x.org", "epub", {"docs", "epub"}},
      {"Stuff", "x.org", "zip", {"misc", "zip"}},
      {"Show.S01E02.720p.HDTV.x264-GRP", "x.org", "rar", {"tv", "rar"}},
      {"Tool", "x.org", "exe", {}},
      {"Nothing", "x.org", "", {}},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(DetectTraits(c.name, c.alias, c.filetype, config), c.traits) << c.name;
  }
}

}  // namespace
}  // namespace torque::rtorrent
