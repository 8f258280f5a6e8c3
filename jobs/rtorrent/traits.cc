#include "jobs/rtorrent/traits.h"

#include <algorithm>
#include <cctype>
#include <regex>
#include <set>

#include "core/utf8.h"

namespace torque::rtorrent {
namespace {

const std::set<std::string_view> kAudio = {"flac", "mp3", "ogg",  "wav",
                                           "dts",  "ac3", "alac", "wma"};
const std::set<std::string_view> kVideo = {"avi",  "mkv",  "m4v", "vob", "mp4", "mpg",
                                           "mpeg", "m2ts", "ts",  "ogv", "wmv"};
const std::set<std::string_view> kImage = {"jpg", "png", "gif", "tif", "bmp", "svg"};
const std::set<std::string_view> kDocs = {"chm", "pdf", "cbr",  "cbz",  "odt",  "ods", "doc",
                                          "xls", "ppt", "epub", "mobi", "azw3", "djvu"};
const std::set<std::string_view> kArchive = {"rar", "zip", "tgz", "bz2", "iso", "bin"};

const std::vector<std::string_view> kBadTitleWords = {
    "bdrip", "brrip", "hdrip",  "dvdrip",  "ntsc",   "hdtv", "dvd-r", "dvdr",
    "dvd5",  "dvd9",  "web-dl", "blu-ray", "bluray", "bd25", "bd50",  "480p",
    "576p",  "720p",  "1080p",  "2160p",   "mp3",    "ac3",  "dts"};

// Python's os.path.splitext(path)[1] without the dot: leading dots of the base name do not
// start an extension.
std::string Extension(std::string_view path) {
  const size_t sep = path.rfind('/');
  const size_t dot = path.rfind('.');
  const size_t base = sep == std::string_view::npos ? 0 : sep + 1;
  if (dot == std::string_view::npos || dot < base) return {};
  for (size_t i = base; i < dot; ++i) {
    if (path[i] != '.') return std::string(path.substr(dot + 1));
  }
  return {};
}

// The name patterns of pyrocore's traits module, as ECMAScript. Only the group that holds
// the show (TV) or title (movie) captures; everything else is (?:...).
struct NamePatterns {
  std::vector<std::regex> tv;
  std::vector<std::regex> movie;
};

const NamePatterns& Patterns() {
  static const NamePatterns kPatterns = [] {
    const std::string video_ext =
        R"((?:\.avi|\.mkv|\.m4v|\.vob|\.mp4|\.mpg|\.mpeg|\.m2ts|\.ts|\.ogv|\.wmv))";
    const std::string fmt = R"((?:HDTV|PDTV|DSR|DVD[59]?|DVDSCR|480p|576p|720p|1080p|1080i|2160p))";
    const std::string codec = R"((?:[XH]\.?264|XviD|VTS|ISO|NTSC|PAL))";
    const std::string tv_trail = R"((?:[._ ](?:PREAIR|READNFO))?)"
                                 R"((?:[._ ](?:REPACK|PROPER|REAL|REALPROPER|INTERNAL))?)"
                                 R"((?:[._ ](?:WS))?)"
                                 "(?:[._ ]" +
                                 fmt + ")?" + R"((?:[._ ](?:WEB-DL|WEB\.DL|WEBRip))?)" +
                                 "(?:[._ ]" + fmt + ")?" + "(?:[._ ]" + codec + ")?" +
                                 R"((?:[._ ](?:MP3|AC3|DD5\.1|L?PCM|AAC 2\.0))?)" + "(?:[._ ]" +
                                 codec + ")?" + "(?:[-. ](?:.+?))?" + video_ext + "?$";
    const std::string title = R"((?:[._ ](?:.+?[a-zA-Z]{1,2}.+?))?)";
    const std::string title_lazy = R"((?:[._ ](?:.+?[a-z]{1,2}.+?))??)";
    const std::vector<std::string> tv = {
        // Normal TV episodes.
        R"(^(.+?)[._ ]S?\d{1,2}[xE]\d{2}(?:-?E\d{2})?)" + title + tv_trail,
        // All-numeric season and episode.
        R"(^(.+?)[._ ]\d\d{2})" + title + tv_trail,
        // Daily shows.
        R"(^(.+?)[._ ]\d{4}\.\d{2}\.\d{2})" + title + tv_trail,
        // Full seasons.
        R"(^(.+?)[._ ]S?\d{1,2})" + tv_trail,
        // Mini series.
        R"(^(.+?)(?:[._ ](?:Part\d+?|Pilot)){1,2})" + title_lazy + tv_trail,
        // Mini series (Roman numerals).
        R"(^(.+?)(?:[._ ]Pa?r?t[._ ][ivxIVX]{1,3}?))" + title_lazy + tv_trail,
    };
    const std::string year = R"([. ][\[(]?\d{4}[)\]]?)";
    const std::string sound = R"((?:MP3|AC3|FLAC|DTS(?:-HD)?))";
    const std::vector<std::string> movie = {
        // Scene tagged movie.
        "^(.+?)" + year + R"((?:[._ ](?:UNRATED|REPACK|INTERNAL|L[iI]M[iI]TED))*)" +
            R"((?:[._ ](?:480p|576p|720p|1080p|1080i|2160p))?)" +
            R"((?:[._ ](?:BDRip|BRRip|HDRip|DVDRip|PAL|NTSC)))" + "(?:[._ ]" + sound + ")?" +
            R"((?:[._ ](?:xvid|divx|avc|x264|hevc|h265))?)" + "(?:[._ ]" + sound + ")?" +
            "(?:[-.](?:.+?))?" + video_ext + "?$",
        // Blu-ray movie.
        "^(.+?)" + year + R"((?:[._ ](?:UNRATED|REPACK|INTERNAL|MULTI|L[iI]M[iI]TED))*)" +
            R"((?:[._ ](?:720p|1080p|1080i|2160p))?)" + R"((?:[._ ](?:Blu-ray|BluRay|BD25|BD50)))" +
            R"((?:[._ ](?:720p|1080p|1080i|2160p))?)" + R"((?:[._ ](?:avc|x264|hevc|h265))?)" +
            R"((?:[._ ](?:DTS(?:-HD)?))*)" + R"((?:[._ ](?:6ch|MA.5.1))?)" +
            R"((?:[._ ](?:avc|x264|hevc|h265))?)" + "(?:[-.](?:.+?))?" + video_ext + "?$",
    };
    NamePatterns patterns;
    const auto flags = std::regex::ECMAScript | std::regex::icase;
    for (const auto& p : tv) patterns.tv.emplace_back(p, flags);
    for (const auto& p : movie) patterns.movie.emplace_back(p, flags);
    return patterns;
  }();
  return kPatterns;
}

bool HasBadWord(const std::string& title) {
  const std::string lower = AsciiLower(title);
  for (const auto word : kBadTitleWords) {
    if (lower.find(word) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

std::string MapAnnounceToAlias(std::string_view url, const AliasConfig& config) {
  if (url.empty()) return {};
  for (const auto& [alias, urls] : config.announce) {
    for (const auto& u : urls) {
      if (u == url) return alias;
    }
  }
  const size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return std::string(url);
  const size_t host_start = scheme_end + 3;
  size_t host_end = url.find_first_of("/?#", host_start);
  if (host_end == std::string_view::npos) host_end = url.size();
  const std::string server = std::string(url.substr(0, host_end)) + "/";
  for (const auto& [alias, urls] : config.announce) {
    for (const auto& u : urls) {
      if (u.compare(0, server.size(), server) == 0) return alias;
    }
  }
  std::string_view netloc = url.substr(host_start, host_end - host_start);
  if (const size_t at = netloc.rfind('@'); at != std::string_view::npos) {
    netloc = netloc.substr(at + 1);
  }
  netloc = netloc.substr(0, netloc.find(':'));
  const size_t last = netloc.rfind('.');
  if (last == std::string_view::npos || last == 0) return std::string(netloc);
  const size_t prev = netloc.rfind('.', last - 1);
  return std::string(prev == std::string_view::npos ? netloc : netloc.substr(prev + 1));
}

KindHistogram KindHistogramOf(const std::vector<FileInfo>& files) {
  std::map<std::string, int64_t> sizes;
  for (const auto& file : files) {
    std::string ext = AsciiLower(Extension(file.path));
    if (ext.size() > 1 && ext[0] == 'r' &&
        std::all_of(ext.begin() + 1, ext.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      ext = "rar";
    } else if (ext == "jpeg") {
      ext = "jpg";
    } else if (ext == "mpeg") {
      ext = "mpg";
    }
    sizes[ext] += file.size;
  }
  int64_t total = 0;
  for (const auto& [ext, size] : sizes) total += size;
  KindHistogram histogram;
  for (const auto& [ext, size] : sizes) {
    const int percent =
        total ? static_cast<int>(static_cast<double>(size) * 100.0 / static_cast<double>(total) +
                                 0.499)
              : static_cast<int>(size);
    histogram.push_back({percent, ext});
  }
  std::sort(histogram.begin(), histogram.end(), [](const KindShare& a, const KindShare& b) {
    return a.percent != b.percent ? a.percent > b.percent : a.ext > b.ext;
  });
  return histogram;
}

std::string FormatKindCache(const KindHistogram& histogram) {
  std::string out;
  for (const auto& share : histogram) {
    if (!out.empty()) out += ' ';
    std::string ext = share.ext;
    std::replace(ext.begin(), ext.end(), ' ', '_');
    out += std::to_string(share.percent) + "%_" + ext;
  }
  return out;
}

std::optional<KindHistogram> ParseKindCache(std::string_view text) {
  KindHistogram histogram;
  size_t i = 0;
  while (i < text.size()) {
    if (std::isspace(static_cast<unsigned char>(text[i]))) {
      ++i;
      continue;
    }
    size_t end = i;
    while (end < text.size() && !std::isspace(static_cast<unsigned char>(text[end]))) ++end;
    const std::string_view entry = text.substr(i, end - i);
    i = end;
    const size_t mark = entry.find("%_");
    if (mark == 0 || mark == std::string_view::npos || mark > 9) return std::nullopt;
    int percent = 0;
    for (const char c : entry.substr(0, mark)) {
      if (c < '0' || c > '9') return std::nullopt;
      percent = percent * 10 + (c - '0');
    }
    histogram.push_back({percent, std::string(entry.substr(mark + 2))});
  }
  if (histogram.empty()) return std::nullopt;
  return histogram;
}

std::vector<std::string> KindsAtLeast(const KindHistogram& histogram, int limit) {
  std::set<std::string> kinds;
  for (const auto& share : histogram) {
    if (!share.ext.empty() && share.percent >= limit) kinds.insert(share.ext);
  }
  return {kinds.begin(), kinds.end()};
}

std::string NameTrait(std::string_view name) {
  // Longer "names" are no file names, and std::regex recurses per character.
  if (name.empty() || name.substr(0, 4) == "VTS_" || name.size() > 4096) return {};
  const std::string lower = AsciiLower(name);
  std::string kind;
  bool tv_only = false;
  for (const auto tag : {".hdtv.", ".pdtv.", ".dsr."}) {
    if (lower.find(tag) != std::string::npos) {
      kind = "tv";
      tv_only = true;
    }
  }
  // pyrocore splits on " ." and strips "[(" / ")]" around each part before matching.
  std::string re_name;
  size_t start = 0;
  while (true) {
    const size_t split = name.find(" .", start);
    std::string_view part = name.substr(
        start, split == std::string_view::npos ? std::string_view::npos : split - start);
    while (!part.empty() && (part.front() == '[' || part.front() == '(')) part.remove_prefix(1);
    while (!part.empty() && (part.back() == ')' || part.back() == ']')) part.remove_suffix(1);
    if (start > 0) re_name += '.';
    re_name += part;
    if (split == std::string_view::npos) break;
    start = split + 2;
  }
  const NamePatterns& patterns = Patterns();
  const std::pair<const char*, const std::vector<std::regex>*> sets[] = {
      {"tv", &patterns.tv}, {"movie", &patterns.movie}};
  for (const auto& [trait, list] : sets) {
    bool matched = false;
    for (const auto& pattern : *list) {
      std::smatch m;
      try {
        matched = std::regex_search(re_name, m, pattern);
      } catch (const std::regex_error&) {
        matched = false;  // too complex for std::regex: treat as no match
      }
      if (matched && !HasBadWord(m[1].str())) {
        kind = trait;
        break;
      }
    }
    // As in pyrocore: when the last pattern tried matched (even one rejected for a bad
    // word in the title), the next set is not tried.
    if (matched || tv_only) break;
  }
  return kind;
}

std::vector<std::string> DetectTraits(std::string_view name, std::string_view alias,
                                      std::string_view filetype, const AliasConfig& config) {
  while (!filetype.empty() && filetype.front() == '.') filetype.remove_prefix(1);
  const std::string ext(filetype);
  if (!alias.empty()) {
    const auto theme = config.traits_by_alias.find(std::string(alias));
    if (theme != config.traits_by_alias.end() && !theme->second.empty()) {
      return {theme->second, ext.empty() ? "other" : ext};
    }
  }
  if (ext.empty()) return {};
  if (kAudio.count(ext)) return {"audio", ext};
  if (kVideo.count(ext)) {
    const std::string contents = NameTrait(name);
    return {contents.empty() ? "video" : contents, ext};
  }
  if (kImage.count(ext)) return {"img", ext};
  if (kDocs.count(ext)) return {"docs", ext};
  if (kArchive.count(ext)) {
    const std::string contents = NameTrait(name);
    return {contents.empty() ? "misc" : contents, ext};
  }
  return {};
}

}  // namespace torque::rtorrent
