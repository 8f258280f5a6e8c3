#include "jobs/metafile.h"

#include <openssl/evp.h>

#include <algorithm>
#include <map>
#include <optional>
#include <utility>

#include "core/utf8.h"
#include "jobs/bencode.h"

namespace torque::jobs {
namespace {

Status Invalid(std::string why) { return Status::InvalidArgument(std::move(why)); }

// Why `name` is not allowed as info.name ("" when it is): pyrocore's ALLOWED_ROOT_NAME
// ^[^/\\.~][^/\\]*$, and no NUL byte (rTorrent refuses those).
std::string RootNameProblem(std::string_view name) {
  if (name.empty()) return "must not be empty";
  if (name[0] == '.' || name[0] == '~') return "must not start with '.' or '~'";
  if (name.find_first_of("/\\") != std::string_view::npos) return "must not contain '/' or '\\'";
  if (name.find('\0') != std::string_view::npos) return "must not contain a NUL byte";
  return "";
}

// Why `part` is not allowed in a file's path ("" when it is): pyrocore's ALLOWED_PATH_NAME
// ^(?:~\d+)?[^/\\~][^/\\]*$, not "." or ".." and no NUL byte (rTorrent refuses those).
std::string PathPartProblem(std::string_view part) {
  if (part.empty()) return "must not be empty";
  if (part == "." || part == "..") return "must not be '.' or '..'";
  if (part.find_first_of("/\\") != std::string_view::npos) return "must not contain '/' or '\\'";
  if (part.find('\0') != std::string_view::npos) return "must not contain a NUL byte";
  if (part[0] == '~') {
    // "~" digits, then at least one more byte that is not '~' (the regex may give the
    // last digit back to [^/\\~]).
    size_t digits = 1;
    while (digits < part.size() && IsAsciiDigit(part[digits])) ++digits;
    --digits;
    const bool ok = digits >= 2 || (digits == 1 && part.size() > 2 && part[2] != '~');
    if (!ok) return "must not start with '~' unless as '~N' followed by a name";
  }
  return "";
}

// `announce`, else the first URL of `announce-list`.
Status ReadAnnounce(const BencodeDict& meta, std::string* announce) {
  if (const BencodeValue* url = meta.Get("announce")) {
    if (!url->IsString()) return Invalid("announce must be a string");
    *announce = url->Text();
  }
  const BencodeValue* list = meta.Get("announce-list");
  if (!list) return Status::Ok();
  const std::string bad = "announce-list must be a list of lists of strings";
  if (!list->IsList()) return Invalid(bad);
  for (const BencodeValue& tier : list->Items()) {
    if (!tier.IsList()) return Invalid(bad);
    for (const BencodeValue& url : tier.Items()) {
      if (!url.IsString()) return Invalid(bad);
      if (announce->empty()) *announce = url.Text();
    }
  }
  return Status::Ok();
}

// info.length, or info.files as pyrocore's check_info checks them; fills files and size.
Status ReadFiles(const BencodeDict& info, Metafile* m) {
  const BencodeValue* length = info.Get("length");
  const BencodeValue* files = info.Get("files");
  if (length && files) return Invalid("info has both length and files");
  if (!length && !files) return Invalid("info has neither length nor files");
  if (length) {
    const int64_t size = length->Int().value_or(-1);
    if (size < 0) return Invalid("info.length must be a non-negative integer");
    m->files.push_back({m->name, size});
    m->size = size;
    return Status::Ok();
  }
  const std::vector<BencodeValue> items =
      files->IsList() ? files->Items() : std::vector<BencodeValue>{};
  if (items.empty()) return Invalid("info.files must be a non-empty list");
  for (size_t i = 0; i < items.size(); ++i) {
    const std::string where = "info.files[" + std::to_string(i) + "]";
    if (!items[i].IsDict()) return Invalid(where + " must be a dict");
    const BencodeDict file(items[i]);
    const BencodeValue* file_length = file.Get("length");
    if (!file_length) return Invalid(where + ".length is missing");
    const int64_t size = file_length->Int().value_or(-1);
    if (size < 0) return Invalid(where + ".length must be a non-negative integer");
    const BencodeValue* path = file.Get("path");
    if (!path) return Invalid(where + ".path is missing");
    const std::vector<BencodeValue> parts =
        path->IsList() ? path->Items() : std::vector<BencodeValue>{};
    const bool strings = std::all_of(parts.begin(), parts.end(),
                                     [](const BencodeValue& part) { return part.IsString(); });
    if (parts.empty() || !strings) {
      return Invalid(where + ".path must be a non-empty list of strings");
    }
    std::string joined;
    for (const BencodeValue& part : parts) {
      if (std::string why = PathPartProblem(part.Text()); !why.empty()) {
        return Invalid(where + ".path part '" + PrintableBytes(part.Text()) + "' " + why);
      }
      if (!joined.empty()) joined += '/';
      joined += part.Text();
    }
    if (__builtin_add_overflow(m->size, size, &m->size)) {
      return Invalid("info.files lengths add up to more than 2^63-1 bytes");
    }
    m->files.push_back({std::move(joined), size});
  }
  // The first entry that repeats an earlier one's path.
  std::map<std::string_view, size_t> seen;
  for (size_t i = 0; i < m->files.size(); ++i) {
    const auto [it, added] = seen.emplace(m->files[i].path, i);
    if (!added) {
      return Invalid("duplicate file path '" + PrintableBytes(it->first) + "' (info.files[" +
                     std::to_string(it->second) + "] and info.files[" + std::to_string(i) + "])");
    }
  }
  return Status::Ok();
}

// The info dict as pyrocore's check_info checks it; fills name, files and size.
Status ReadInfo(const BencodeDict& info, Metafile* m) {
  const BencodeValue* pieces = info.Get("pieces");
  if (!pieces) {
    const BencodeValue* version = info.Get("meta version");
    if (version && version->Int() == 2 && info.Get("file tree")) {
      return Invalid("BitTorrent v2-only metafiles are not supported (no info.pieces)");
    }
    return Invalid("info.pieces is missing");
  }
  if (!pieces->IsString() || pieces->Text().size() % 20 != 0) {
    return Invalid("info.pieces must be a string whose length is a multiple of 20");
  }
  const BencodeValue* piece_length = info.Get("piece length");
  if (!piece_length) return Invalid("info.piece length is missing");
  if (piece_length->Int().value_or(0) <= 0) {
    return Invalid("info.piece length must be a positive integer");
  }
  const BencodeValue* name = info.Get("name");
  if (!name) return Invalid("info.name is missing");
  if (!name->IsString()) return Invalid("info.name must be a string");
  if (std::string why = RootNameProblem(name->Text()); !why.empty()) {
    return Invalid("info.name '" + PrintableBytes(name->Text()) + "' " + why);
  }
  m->name = name->Text();
  return ReadFiles(info, m);
}

// 40 upper-case hex digits of the SHA-1 of `bytes`; "" if OpenSSL fails.
std::string Sha1Hex(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha1(), nullptr) != 1) {
    return "";
  }
  std::string hex;
  for (unsigned int i = 0; i < length; ++i) {
    hex += kUpperHexDigits[digest[i] >> 4];
    hex += kUpperHexDigits[digest[i] & 0xf];
  }
  return hex;
}

int HexValue(char c) {
  if (IsAsciiDigit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// `text` with %XX escapes decoded (a malformed one stays as it is, as Python's unquote
// leaves it) and, if `plus_is_space`, '+' as ' '.
std::string PercentDecode(std::string_view text, bool plus_is_space) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && text.size() - i >= 3 && HexValue(text[i + 1]) >= 0 &&
        HexValue(text[i + 2]) >= 0) {
      out += static_cast<char>(HexValue(text[i + 1]) * 16 + HexValue(text[i + 2]));
      i += 2;
    } else if (text[i] == '+' && plus_is_space) {
      out += ' ';
    } else {
      out += text[i];
    }
  }
  return out;
}

// A btih of 40 hex digits or 32 base32 (RFC 4648) characters as 40 upper-case hex digits;
// nullopt for anything else.
std::optional<std::string> BtihToHex(std::string_view btih) {
  if (btih.size() == 40) {
    if (!std::all_of(btih.begin(), btih.end(), [](char c) { return HexValue(c) >= 0; })) {
      return std::nullopt;
    }
    return AsciiUpper(btih);
  }
  if (btih.size() != 32) return std::nullopt;
  std::string hex;
  unsigned bits = 0;
  int count = 0;
  for (char c : btih) {
    int value = -1;
    if (c >= 'A' && c <= 'Z') value = c - 'A';
    if (c >= 'a' && c <= 'z') value = c - 'a';
    if (c >= '2' && c <= '7') value = c - '2' + 26;
    if (value < 0) return std::nullopt;
    bits = (bits << 5) | static_cast<unsigned>(value);
    count += 5;
    while (count >= 4) {
      count -= 4;
      hex += kUpperHexDigits[(bits >> count) & 0xf];
    }
  }
  return hex;
}

bool StartsWithNoCase(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && AsciiLower(text.substr(0, prefix.size())) == prefix;
}

}  // namespace

Result<Metafile> ParseMetafile(std::string_view bytes, bool* truncated) {
  Result<size_t> length = ScanBencode(bytes, truncated);
  if (!length.ok()) return length.status();
  const BencodeValue top{bytes.substr(0, *length)};
  if (!top.IsDict()) return Invalid("the metafile must be a dict");
  const BencodeDict meta(top);
  Metafile m;
  if (Status s = ReadAnnounce(meta, &m.announce); !s.ok()) return s;
  const BencodeValue* info = meta.Get("info");
  if (!info) return Invalid("info is missing");
  if (!info->IsDict()) return Invalid("info must be a dict");
  if (Status s = ReadInfo(BencodeDict(*info), &m); !s.ok()) return s;
  m.info_hash = Sha1Hex(info->raw());
  if (m.info_hash.size() != 40) return Status::Internal("SHA-1 of the info dict failed");
  return m;
}

Result<Metafile> ParseMagnet(std::string_view text) {
  constexpr std::string_view kBom = "\xEF\xBB\xBF";  // as a Windows editor may save it
  if (text.substr(0, kBom.size()) == kBom) text.remove_prefix(kBom.size());
  while (!text.empty() && IsAsciiSpace(text.front())) text.remove_prefix(1);
  while (!text.empty() && IsAsciiSpace(text.back())) text.remove_suffix(1);
  // Both ends are non-blank now, so a line break means a second non-blank line.
  if (text.find_first_of("\r\n") != std::string_view::npos) {
    return Invalid("a .magnet file holds one magnet link");
  }
  constexpr std::string_view kScheme = "magnet:?";
  if (!StartsWithNoCase(text, kScheme)) return Invalid("not a magnet link");
  Metafile m;
  m.magnet = true;
  m.uri = text;
  bool have_name = false;
  bool have_tracker = false;
  bool has_btmh = false;
  std::string_view query = text.substr(kScheme.size());
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view param = query.substr(0, amp);
    query = amp == std::string_view::npos ? "" : query.substr(amp + 1);
    const size_t eq = param.find('=');
    if (eq == std::string_view::npos) continue;
    // BEP 9 numbers repeated keys: xt.1, xt.2, ...
    const std::string_view key = param.substr(0, std::min(eq, param.find('.')));
    const std::string value = PercentDecode(param.substr(eq + 1), key == "dn");
    if (key == "xt" && StartsWithNoCase(value, "urn:btih:")) {
      const std::string_view btih = std::string_view(value).substr(9);
      const std::optional<std::string> hex = BtihToHex(btih);
      if (!hex) return Invalid("bad btih hash '" + PrintableBytes(btih) + "'");
      if (!m.info_hash.empty() && m.info_hash != *hex) {
        return Invalid("two different btih hashes in the magnet link");
      }
      m.info_hash = *hex;
    } else if (key == "xt" && StartsWithNoCase(value, "urn:btmh:")) {
      has_btmh = true;
    } else if (key == "dn" && !have_name) {
      m.name = value;
      have_name = true;
    } else if (key == "tr" && !have_tracker) {
      m.announce = value;
      have_tracker = true;
    }
  }
  if (m.info_hash.empty()) {
    if (has_btmh) return Invalid("BitTorrent v2-only magnet links are not supported");
    return Invalid("no xt=urn:btih: in the magnet link");
  }
  return m;
}

std::string FileTypeOf(const Metafile& m) {
  const rtorrent::FileInfo* largest = nullptr;
  for (const rtorrent::FileInfo& file : m.files) {
    if (!largest || file.size > largest->size) largest = &file;
  }
  if (!largest) return "";
  // os.path.splitext: the last dot of the base name, unless only dots come before it.
  std::string_view base = largest->path;
  const size_t slash = base.rfind('/');
  if (slash != std::string_view::npos) base.remove_prefix(slash + 1);
  const size_t dot = base.rfind('.');
  if (dot == std::string_view::npos || base.find_first_not_of('.') > dot) return "";
  return AsciiLower(base.substr(dot));
}

}  // namespace torque::jobs
