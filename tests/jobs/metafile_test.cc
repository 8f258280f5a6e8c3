#include "jobs/metafile.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace torque::jobs {
namespace {

using rtorrent::FileInfo;

// Expected info hashes below were computed with Python's hashlib over the same bytes; the
// .torrent files under data/metafile/ were made by the rTorrent test kit's torrent_tool.py
// (single.torrent of a 40000-byte single.ISO with -a
// http://tracker.example.com:6969/announce; album.torrent of a directory Album with -l 14),
// which printed the same hashes.
constexpr char kSingleHash[] = "F74EED858BA14C8FB79EE7C150CAB69D0DDF6B58";
constexpr char kAlbumHash[] = "8EBE221F5D5372EA3C575E851DB88D75EBF76259";

std::string ReadData(const std::string& name) {
  const auto path = std::filesystem::path(__FILE__).parent_path() / "data" / "metafile" / name;
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// A small bencode writer for building test metafiles; dict entries keep the order given,
// so a test can put keys out of order.
std::string Str(std::string_view s) { return std::to_string(s.size()) + ":" + std::string(s); }
std::string Int(int64_t v) { return "i" + std::to_string(v) + "e"; }
std::string List(const std::vector<std::string>& items) {
  std::string out = "l";
  for (const auto& item : items) out += item;
  return out + "e";
}
using Entries = std::vector<std::pair<std::string, std::string>>;
std::string Dict(const Entries& entries) {
  std::string out = "d";
  for (const auto& [key, value] : entries) out += Str(key) + value;
  return out + "e";
}
// `entries` with `key` set to `value` (appended when missing), or removed when `value` is "".
Entries Set(Entries entries, const std::string& key, const std::string& value) {
  for (auto it = entries.begin(); it != entries.end(); ++it) {
    if (it->first != key) continue;
    if (value.empty()) {
      entries.erase(it);
    } else {
      it->second = value;
    }
    return entries;
  }
  if (!value.empty()) entries.emplace_back(key, value);
  return entries;
}

const std::string kPieces = Str(std::string(20, 'x'));

// A valid single-file info dict's entries.
Entries SingleInfo() {
  return {{"length", Int(5)},
          {"name", Str("a.txt")},
          {"piece length", Int(16384)},
          {"pieces", kPieces}};
}
// A valid multi-file info dict's entries with `files` as info.files.
Entries MultiInfo(const std::string& files) {
  return Set(Set(SingleInfo(), "length", ""), "files", files);
}
std::string FileEntry(int64_t length, const std::vector<std::string>& parts) {
  std::vector<std::string> path;
  for (const auto& part : parts) path.push_back(Str(part));
  return Dict({{"length", Int(length)}, {"path", List(path)}});
}
// A metafile with `info` and an announce URL.
std::string Meta(const Entries& info) {
  return Dict({{"announce", Str("http://t/a")}, {"info", Dict(info)}});
}

// The error text of ParseMetafile, or "ok".
std::string Rejection(std::string_view bytes) {
  Result<Metafile> r = ParseMetafile(bytes);
  if (r.ok()) return "ok";
  EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument) << r.status().ToString();
  return r.status().message();
}

TEST(BencodeTest, MutatedMetafilesNeverCrash) {
  const std::string album = ReadData("album.torrent");
  ASSERT_FALSE(album.empty());
  std::mt19937 random(42);
  const std::string alphabet = "ield-0123456789: x\xff";
  int accepted = 0;
  for (int round = 0; round < 20000; ++round) {
    std::string bytes = album;
    const int edits = 1 + static_cast<int>(random() % 3);
    for (int e = 0; e < edits && !bytes.empty(); ++e) {
      const size_t at = random() % bytes.size();
      const char c = alphabet[random() % alphabet.size()];
      switch (random() % 3) {
        case 0:
          bytes[at] = c;
          break;
        case 1:
          bytes.insert(bytes.begin() + static_cast<std::ptrdiff_t>(at), c);
          break;
        default:
          bytes.erase(at, 1 + random() % 8);
          break;
      }
    }
    bool truncated = false;
    Result<Metafile> r = ParseMetafile(bytes, &truncated);
    if (r.ok()) {
      ++accepted;
      EXPECT_EQ(r->info_hash.size(), 40u);
      EXPECT_FALSE(truncated);
      continue;
    }
    const std::string message = r.status().message();
    EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    EXPECT_EQ(truncated, message.rfind("truncated at byte ", 0) == 0) << message;
  }
  EXPECT_GT(accepted, 0);  // some edits (inside piece hashes) leave a valid metafile
}

TEST(MetafileTest, RejectionGolden) {
  const std::string ok_files = List({FileEntry(1, {"a"})});
  const std::string v2_info = Dict({{"file tree", Dict({{"a", Dict({})}})},
                                    {"meta version", Int(2)},
                                    {"name", Str("a")},
                                    {"piece length", Int(16384)}});
  const std::pair<std::string, std::string> cases[] = {
      {Meta(SingleInfo()), "ok"},
      {Meta(MultiInfo(ok_files)), "ok"},
      {"i1e", "the metafile must be a dict"},
      {Dict({{"announce", Str("http://t/a")}}), "info is missing"},
      {Dict({{"info", Int(1)}}), "info must be a dict"},
      {Dict({{"announce", Int(1)}, {"info", Dict(SingleInfo())}}), "announce must be a string"},
      {Dict({{"announce-list", Str("http://t/a")}, {"info", Dict(SingleInfo())}}),
       "announce-list must be a list of lists of strings"},
      {Dict({{"announce-list", List({Str("http://t/a")})}, {"info", Dict(SingleInfo())}}),
       "announce-list must be a list of lists of strings"},
      {Dict({{"announce-list", List({List({Int(1)})})}, {"info", Dict(SingleInfo())}}),
       "announce-list must be a list of lists of strings"},
      {Meta(Set(SingleInfo(), "pieces", "")), "info.pieces is missing"},
      {Meta(Set(SingleInfo(), "pieces", Str(std::string(19, 'x')))),
       "info.pieces must be a string whose length is a multiple of 20"},
      {Meta(Set(SingleInfo(), "pieces", Int(20))),
       "info.pieces must be a string whose length is a multiple of 20"},
      {Dict({{"info", v2_info}}),
       "BitTorrent v2-only metafiles are not supported (no info.pieces)"},
      {Meta(Set(SingleInfo(), "piece length", "")), "info.piece length is missing"},
      {Meta(Set(SingleInfo(), "piece length", Int(0))),
       "info.piece length must be a positive integer"},
      {Meta(Set(SingleInfo(), "piece length", Int(-16384))),
       "info.piece length must be a positive integer"},
      {Meta(Set(SingleInfo(), "piece length", Str("16384"))),
       "info.piece length must be a positive integer"},
      {Meta(Set(SingleInfo(), "name", "")), "info.name is missing"},
      {Meta(Set(SingleInfo(), "name", List({}))), "info.name must be a string"},
      {Meta(Set(SingleInfo(), "name", Str(""))), "info.name '' must not be empty"},
      {Meta(Set(SingleInfo(), "name", Str(".hidden"))),
       "info.name '.hidden' must not start with '.' or '~'"},
      {Meta(Set(SingleInfo(), "name", Str("~1a"))),
       "info.name '~1a' must not start with '.' or '~'"},
      {Meta(Set(SingleInfo(), "name", Str("a/b"))), "info.name 'a/b' must not contain '/' or '\\'"},
      {Meta(Set(SingleInfo(), "name", Str("a\\b"))),
       "info.name 'a\\b' must not contain '/' or '\\'"},
      {Meta(Set(SingleInfo(), "name", Str(std::string("a\0b", 3)))),
       "info.name 'a\\x00b' must not contain a NUL byte"},
      {Meta(Set(SingleInfo(), "files", ok_files)), "info has both length and files"},
      {Meta(Set(SingleInfo(), "length", "")), "info has neither length nor files"},
      {Meta(Set(SingleInfo(), "length", Int(-1))), "info.length must be a non-negative integer"},
      {Meta(Set(SingleInfo(), "length", Str("5"))), "info.length must be a non-negative integer"},
      {Meta(MultiInfo(Str("a"))), "info.files must be a non-empty list"},
      {Meta(MultiInfo(List({}))), "info.files must be a non-empty list"},
      {Meta(MultiInfo(List({FileEntry(1, {"a"}), Int(1)}))), "info.files[1] must be a dict"},
      {Meta(MultiInfo(List({Dict({{"path", List({Str("a")})}})}))),
       "info.files[0].length is missing"},
      {Meta(MultiInfo(List({FileEntry(-1, {"a"})}))),
       "info.files[0].length must be a non-negative integer"},
      {Meta(MultiInfo(List({Dict({{"length", Int(1)}})}))), "info.files[0].path is missing"},
      {Meta(MultiInfo(List({Dict({{"length", Int(1)}, {"path", List({})}})}))),
       "info.files[0].path must be a non-empty list of strings"},
      {Meta(MultiInfo(List({Dict({{"length", Int(1)}, {"path", Str("a")}})}))),
       "info.files[0].path must be a non-empty list of strings"},
      {Meta(MultiInfo(List({Dict({{"length", Int(1)}, {"path", List({Str("a"), Int(1)})}})}))),
       "info.files[0].path must be a non-empty list of strings"},
      {Meta(MultiInfo(List({FileEntry(1, {"a", ""})}))),
       "info.files[0].path part '' must not be empty"},
      {Meta(MultiInfo(List({FileEntry(1, {"..", "etc"})}))),
       "info.files[0].path part '..' must not be '.' or '..'"},
      {Meta(MultiInfo(List({FileEntry(1, {"a", ".", "b"})}))),
       "info.files[0].path part '.' must not be '.' or '..'"},
      {Meta(MultiInfo(List({FileEntry(1, {"a\\b"})}))),
       "info.files[0].path part 'a\\b' must not contain '/' or '\\'"},
      {Meta(MultiInfo(List({FileEntry(1, {"a/b"})}))),
       "info.files[0].path part 'a/b' must not contain '/' or '\\'"},
      {Meta(MultiInfo(List({FileEntry(1, {std::string("a\0", 2)})}))),
       "info.files[0].path part 'a\\x00' must not contain a NUL byte"},
      {Meta(MultiInfo(List({FileEntry(1, {"~x"})}))),
       "info.files[0].path part '~x' must not start with '~' unless as '~N' followed by a name"},
      {Meta(MultiInfo(List({FileEntry(1, {"~1"})}))),
       "info.files[0].path part '~1' must not start with '~' unless as '~N' followed by a name"},
      {Meta(MultiInfo(List({FileEntry(1, {"~1~a"})}))),
       "info.files[0].path part '~1~a' must not start with '~' unless as '~N' followed by a "
       "name"},
      {Meta(MultiInfo(List({FileEntry(1, {"a", "b"}), FileEntry(1, {"c"}), FileEntry(1, {"a", "b"}),
                            FileEntry(1, {"c"})}))),
       "duplicate file path 'a/b' (info.files[0] and info.files[2])"},
      {Meta(MultiInfo(List({FileEntry(INT64_MAX, {"a"}), FileEntry(1, {"b"})}))),
       "info.files lengths add up to more than 2^63-1 bytes"},
      // Bencode comes first, and its errors come through as they are.
      {"d4:infoi01ee", "not bencoded: leading zero in integer at byte 7"},
      {Meta(SingleInfo()) + "\nx", "trailing data after the metafile at byte 111"},
  };
  for (const auto& [bytes, want] : cases) EXPECT_EQ(Rejection(bytes), want) << bytes;
}

TEST(MetafileTest, NamesPyrocoreAllows) {
  for (const std::string name : {"a~", "a.b", "Caf\xc3\xa9", "-x", "a b~"}) {
    EXPECT_EQ(Rejection(Meta(Set(SingleInfo(), "name", Str(name)))), "ok") << name;
  }
  for (const std::string part : {"~1a", "~12", "~1.x", ".hidden", "a~b", ".pad", "..."}) {
    EXPECT_EQ(Rejection(Meta(MultiInfo(List({FileEntry(1, {"d", part})})))), "ok") << part;
  }
}

TEST(MetafileTest, TorrentToolSingleFile) {
  const std::string bytes = ReadData("single.torrent");
  bool truncated = true;
  Result<Metafile> m = ParseMetafile(bytes, &truncated);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_FALSE(truncated);
  EXPECT_EQ(m->info_hash, kSingleHash);
  EXPECT_EQ(m->name, "single.ISO");
  EXPECT_EQ(m->announce, "http://tracker.example.com:6969/announce");
  EXPECT_EQ(m->files, (std::vector<FileInfo>{{"single.ISO", 40000}}));
  EXPECT_EQ(m->size, 40000);
  EXPECT_FALSE(m->magnet);
  EXPECT_EQ(m->uri, "");
  EXPECT_EQ(FileTypeOf(*m), ".iso");
}

TEST(MetafileTest, TorrentToolMultiFileAndFileType) {
  Result<Metafile> m = ParseMetafile(ReadData("album.torrent"));
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->info_hash, kAlbumHash);
  EXPECT_EQ(m->name, "Album");
  EXPECT_EQ(m->announce, "http://127.0.0.1:1/announce");
  EXPECT_EQ(m->files, (std::vector<FileInfo>{{"01 Intro.FLAC", 50000},
                                             {"02 Song.flac", 20000},
                                             {"cover.jpg", 3000},
                                             {"Extras/notes.txt", 100}}));
  EXPECT_EQ(m->size, 73100);
  EXPECT_EQ(FileTypeOf(*m), ".flac");
}

TEST(MetafileTest, EveryPrefixIsTruncated) {
  for (const char* name : {"single.torrent", "album.torrent"}) {
    const std::string bytes = ReadData(name);
    ASSERT_FALSE(bytes.empty()) << name;
    for (size_t n = 0; n < bytes.size(); ++n) {
      bool truncated = false;
      Result<Metafile> m = ParseMetafile(std::string_view(bytes).substr(0, n), &truncated);
      ASSERT_FALSE(m.ok()) << name << " " << n;
      EXPECT_TRUE(truncated) << name << " " << n << ": " << m.status().message();
      EXPECT_EQ(m.status().message(),
                "truncated at byte " + std::to_string(n) + " (is it still being written?)");
    }
    bool truncated = true;
    EXPECT_TRUE(ParseMetafile(bytes, &truncated).ok()) << name;
    EXPECT_FALSE(truncated) << name;
  }
  // Any other failure clears the flag.
  bool truncated = true;
  EXPECT_FALSE(ParseMetafile("i1e", &truncated).ok());
  EXPECT_FALSE(truncated);
}

TEST(MetafileTest, TrailingWhiteSpaceAccepted) {
  const std::string bytes = ReadData("single.torrent");
  Result<Metafile> m = ParseMetafile(bytes + " \r\n\t\n");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->info_hash, kSingleHash);
  EXPECT_EQ(Rejection(bytes + "\n\n<html>"),
            "trailing data after the metafile at byte " + std::to_string(bytes.size() + 2));
}

TEST(MetafileTest, InfoHashGolden) {
  struct Case {
    std::string bytes;
    std::string hash;
    std::string name;
    std::string announce;
  };
  const Case cases[] = {
      // Keys out of order at both levels: hashed as they are, not as re-encoded (the next
      // row holds the same metafile in canonical order).
      {"d4:infod4:name5:a.txt6:lengthi5e6:pieces20:xxxxxxxxxxxxxxxxxxxx12:piece "
       "lengthi16384ee8:announce10:http://t/ae",
       "7A7E99DACFD6D7A97A3893F6CABEE1A74640777B", "a.txt", "http://t/a"},
      {"d8:announce10:http://t/a4:infod6:lengthi5e4:name5:a.txt12:piece "
       "lengthi16384e6:pieces20:xxxxxxxxxxxxxxxxxxxxee",
       "0AED067D7C18858488C371D1434C2FA4AEE0699A", "a.txt", "http://t/a"},
      // announce-list only (its first tier holds an empty URL), unknown keys kept in the
      // hash, a UTF-8 name.
      {"d13:announce-listll0:el9:udp://t/a10:http://t/bee4:infod5:filesld6:lengthi3e4:pathl3:"
       "dir5:b.txteed6:lengthi0e4:pathl5:emptyeee4:name11:Caf\xc3\xa9 Fotos12:piece "
       "lengthi32768e6:pieces20:xxxxxxxxxxxxxxxxxxxx7:privatei1e12:x_cross_seed32:"
       "0123456789abcdef0123456789abcdefee",
       "235DAE9FEE62FE2BB98E6DD3EA12411293157638", "Caf\xc3\xa9 Fotos", "udp://t/a"},
  };
  for (const Case& c : cases) {
    Result<Metafile> m = ParseMetafile(c.bytes);
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    EXPECT_EQ(m->info_hash, c.hash);
    EXPECT_EQ(m->name, c.name);
    EXPECT_EQ(m->announce, c.announce);
  }
}

TEST(MetafileTest, AnnounceSources) {
  const std::string info = Dict(SingleInfo());
  const std::string tiers = List({List({}), List({Str("udp://one"), Str("udp://two")})});
  const std::pair<std::string, std::string> cases[] = {
      {Dict({{"info", info}}), ""},  // trackerless (DHT only)
      {Dict({{"announce-list", List({})}, {"info", info}}), ""},
      {Dict({{"announce-list", tiers}, {"info", info}}), "udp://one"},
      {Dict({{"announce", Str("http://main")}, {"announce-list", tiers}, {"info", info}}),
       "http://main"},
  };
  for (const auto& [bytes, want] : cases) {
    Result<Metafile> m = ParseMetafile(bytes);
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    EXPECT_EQ(m->announce, want) << bytes;
  }
}

TEST(MetafileTest, HybridV1V2Accepted) {
  Entries info = Set(SingleInfo(), "meta version", Int(2));
  info = Set(info, "file tree", Dict({{"a.txt", Dict({{"", Dict({{"length", Int(5)}})}})}}));
  Result<Metafile> m = ParseMetafile(Meta(info));
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->files, (std::vector<FileInfo>{{"a.txt", 5}}));
}

TEST(MetafileTest, FileTypeOfGolden) {
  const std::pair<std::vector<FileInfo>, std::string> cases[] = {
      {{}, ""},
      {{{"a.MKV", 5}}, ".mkv"},
      {{{".bashrc", 5}}, ""},
      {{{"..x", 5}}, ""},
      {{{"a.", 5}}, "."},
      {{{"x.d/README", 5}}, ""},
      {{{"x/a.tar.GZ", 5}}, ".gz"},
      {{{"x/.a.b", 5}}, ".b"},
      {{{"a.nfo", 5}, {"b.mkv", 5}}, ".nfo"},  // the first on ties
      {{{"a.nfo", 5}, {"b.mkv", 6}, {"c.jpg", 6}}, ".mkv"},
  };
  for (const auto& [files, want] : cases) {
    Metafile m;
    m.files = files;
    EXPECT_EQ(FileTypeOf(m), want) << (files.empty() ? "" : files[0].path);
  }
}

TEST(MagnetTest, Golden) {
  const std::string hex = "c12fe1c06bba254a9dc9f519b335aa7c1367a88a";
  const std::string upper = "C12FE1C06BBA254A9DC9F519B335AA7C1367A88A";
  const std::string base32 = "YEX6DQDLXISUVHOJ6UM3GNNKPQJWPKEK";
  const std::string lower32 = "yex6dqdlxisuvhoj6um3gnnkpqjwpkek";
  const std::string btmh =
      "xt=urn:btmh:1220caf1e1c30e81cb361b9ee167c4aa64228a7fa4fa9f6105232b28ad099f3a302e";
  // "<hash>|<name>|<announce>", or the error text.
  const std::pair<std::string, std::string> cases[] = {
      {"magnet:?xt=urn:btih:" + hex, upper + "||"},
      {"magnet:?xt=urn:btih:" + upper, upper + "||"},
      {"magnet:?xt=urn:btih:" + base32, upper + "||"},
      {"magnet:?xt=urn:btih:" + lower32, upper + "||"},
      {"MAGNET:?xt=URN:BTIH:" + hex, upper + "||"},
      {"magnet:?dn=Some+Name%21&xt=urn:btih:" + hex +
           "&tr=http%3A%2F%2Ft.example%2Fannounce%3Fk%3Da+b&tr=udp://second&dn=other",
       upper + "|Some Name!|http://t.example/announce?k=a+b"},
      {"magnet:?xt.1=urn:btih:" + hex + "&dn=%E2%9C%93%zz%4", upper + "|\xe2\x9c\x93%zz%4|"},
      {"magnet:?xt=urn:btih:" + hex + "&" + btmh, upper + "||"},  // hybrid
      {"magnet:?xt=urn:btih:" + hex + "&xt=urn:btih:" + base32, upper + "||"},
      {"  \xEF\xBB\xBF", "not a magnet link"},
      {"\xEF\xBB\xBF magnet:?xt=urn:btih:" + hex + " \r\n\r\n", upper + "||"},
      {"", "not a magnet link"},
      {"http://example.com/x.torrent", "not a magnet link"},
      {"magnet:xt=urn:btih:" + hex, "not a magnet link"},
      {"magnet:?", "no xt=urn:btih: in the magnet link"},
      {"magnet:?dn=x&tr=http://t/a&xt=urn:sha1:abc", "no xt=urn:btih: in the magnet link"},
      {"magnet:?" + btmh, "BitTorrent v2-only magnet links are not supported"},
      {"magnet:?xt=urn:btih:123", "bad btih hash '123'"},
      {"magnet:?xt=urn:btih:", "bad btih hash ''"},
      {"magnet:?xt=urn:btih:" + hex + "0", "bad btih hash '" + hex + "0'"},
      {"magnet:?xt=urn:btih:" + hex.substr(0, 39) + "g",
       "bad btih hash '" + hex.substr(0, 39) + "g'"},
      {"magnet:?xt=urn:btih:" + base32.substr(0, 31) + "1",
       "bad btih hash '" + base32.substr(0, 31) + "1'"},
      {"magnet:?xt=urn:btih:" + hex + "&xt=urn:btih:" + std::string(40, 'a'),
       "two different btih hashes in the magnet link"},
      {"magnet:?xt=urn:btih:" + hex + "\nmagnet:?xt=urn:btih:" + hex,
       "a .magnet file holds one magnet link"},
      {"magnet:?xt=urn:btih:" + hex + "\n\nnotes", "a .magnet file holds one magnet link"},
  };
  for (const auto& [text, want] : cases) {
    Result<Metafile> m = ParseMagnet(text);
    if (!m.ok()) {
      EXPECT_EQ(m.status().code(), Status::Code::kInvalidArgument);
      EXPECT_EQ(m.status().message(), want) << text;
      continue;
    }
    EXPECT_EQ(m->info_hash + "|" + m->name + "|" + m->announce, want) << text;
    EXPECT_TRUE(m->magnet);
    EXPECT_TRUE(m->files.empty());
    EXPECT_EQ(m->size, 0);
    EXPECT_EQ(FileTypeOf(*m), "");
  }
}

TEST(MagnetTest, KeepsTheTrimmedUri) {
  const std::string uri = "magnet:?xt=urn:btih:c12fe1c06bba254a9dc9f519b335aa7c1367a88a&dn=x";
  Result<Metafile> m = ParseMagnet("\n  " + uri + "\t\n");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->uri, uri);
  EXPECT_EQ(m->name, "x");
}

}  // namespace
}  // namespace torque::jobs
