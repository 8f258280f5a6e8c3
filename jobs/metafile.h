// Metafile: what the rTorrent tree watch reads from a .torrent file (strict bencode, checked
// as pyrocore's check_meta/check_info) or from a .magnet file.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "jobs/rtorrent/traits.h"

namespace torque::jobs {

// What the tree watch needs to know of a metafile or a magnet link.
struct Metafile {
  // 40 upper-case hex digits: SHA-1 of the raw bytes of the `info` value exactly as they
  // appear in the file (never re-encoded); for a magnet link its btih.
  std::string info_hash;
  // info.name ("" for a magnet link without dn=).
  std::string name;
  // `announce`, else the first URL of `announce-list`, else "" (trackerless, DHT-only);
  // for a magnet link its first tr=.
  std::string announce;
  // Path parts joined with '/', and size; a single-file torrent has one entry {name,
  // length}; a magnet link none.
  std::vector<rtorrent::FileInfo> files;
  // Total bytes of the files.
  int64_t size = 0;
  bool magnet = false;
  // The magnet URI, trimmed (magnet only).
  std::string uri;
};

// Decodes and validates a .torrent file's bytes: ScanBencode's failures (jobs/bencode.h), then
// kInvalidArgument with a one-line reason naming the key ("info.piece length must be a
// positive integer"). `*truncated` (if given) is set as ScanBencode sets it.
// Trackerless and announce-list-only torrents are accepted; BitTorrent v2-only ones not.
Result<Metafile> ParseMetafile(std::string_view bytes, bool* truncated = nullptr);

// Parses the text of a .magnet file: one magnet URI (surrounding white space allowed) with
// an xt=urn:btih: of 40 hex or 32 base32 digits. kInvalidArgument "not a magnet link",
// "no xt=urn:btih: in the magnet link", "bad btih hash '...'", "BitTorrent v2-only magnet
// links are not supported", "two different btih hashes in the magnet link" or "a .magnet
// file holds one magnet link".
Result<Metafile> ParseMagnet(std::string_view text);

// pyrocore's `filetype`: the extension, with its dot, lower-cased, of the largest file
// (the first one on ties) — for a single-file torrent of its name — by Python's
// os.path.splitext rules (".bashrc" has none); "" when there is none.
std::string FileTypeOf(const Metafile& m);

}  // namespace torque::jobs
