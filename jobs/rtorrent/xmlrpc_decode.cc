// DecodeResponse: a methodResponse parsed with expat straight into Values, as it streams
// past (no intermediate element or value tree: for a 6 MB d.multicall2 answer that tree
// was most of the time, see DESIGN.md).
#include <expat.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <optional>
#include <string>
#include <vector>
#include <xmlrpc-c/base64.hpp>

#include "core/utf8.h"
#include "jobs/rtorrent/xmlrpc.h"

namespace torque::rtorrent {
namespace {

// How much of the document expat is given at once.
constexpr size_t kSlice = 64 * 1024;

// The elements of a methodResponse. kScalar covers the typed leaves.
enum class Tag {
  kResponse,
  kParams,
  kParam,
  kFault,
  kValue,
  kArray,
  kData,
  kStruct,
  kMember,
  kName,
  kScalar
};
enum class Scalar { kInt, kBool, kDouble, kString, kBase64, kDateTime, kNil };

bool IsBlank(std::string_view s) {
  return s.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

std::string_view Trim(std::string_view s) {
  const size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

// xmlrpc-c's normal form of an ISO 8601 time: "20240102T03:04:05" → "20240102T030405,000000Z".
std::optional<std::string> NormalDateTime(std::string_view text) {
  std::string digits;
  size_t i = 0;
  for (; i < text.size() && digits.size() < 14; ++i) {
    const char c = text[i];
    if (c >= '0' && c <= '9') {
      digits += c;
    } else if (!(c == 'T' && digits.size() == 8) && !(c == ':' && digits.size() > 8) &&
               !(c == '-' && digits.size() < 8)) {
      return std::nullopt;
    }
  }
  if (digits.size() != 14) return std::nullopt;
  std::string fraction;
  if (i < text.size() && (text[i] == '.' || text[i] == ',')) {
    for (++i; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
      if (fraction.size() < 6) fraction += text[i];
    }
  }
  if (i < text.size() && text[i] == 'Z') ++i;
  if (i != text.size()) return std::nullopt;
  fraction.resize(6, '0');
  return digits.substr(0, 8) + "T" + digits.substr(8) + "," + fraction + "Z";
}

std::optional<std::string> DecodeBase64(std::string_view text) {
  try {
    std::vector<unsigned char> bytes = xmlrpc_c::bytesFromBase64(std::string(text));
    return std::string(bytes.begin(), bytes.end());
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// The parser's state: open elements, containers being filled, the text of the leaf.
class ResponseParser {
 public:
  ResponseParser() : parser_(XML_ParserCreate("UTF-8")) {
    XML_SetUserData(parser_, this);
    XML_SetElementHandler(parser_, &ResponseParser::OnStart, &ResponseParser::OnEnd);
    XML_SetCharacterDataHandler(parser_, &ResponseParser::OnText);
  }
  ~ResponseParser() { XML_ParserFree(parser_); }
  ResponseParser(const ResponseParser&) = delete;
  ResponseParser& operator=(const ResponseParser&) = delete;

  Result<Value> Parse(std::string_view xml) {
    // In slices: expat copies what it is given into its own buffer, and a small buffer that
    // is reused stays in the cache (one copy of a 6 MB answer faulted in fresh pages).
    XML_Status done = XML_STATUS_OK;
    for (size_t at = 0; done == XML_STATUS_OK;) {
      const size_t n = std::min(kSlice, xml.size() - at);
      const bool last = at + n == xml.size();
      done = XML_Parse(parser_, xml.data() + at, static_cast<int>(n), last ? XML_TRUE : XML_FALSE);
      at += n;
      if (last) break;
    }
    if (!error_.empty()) return Status::IoError("bad XMLRPC response: " + error_);
    if (done != XML_STATUS_OK) {
      return Status::IoError("bad XMLRPC response: not valid XML: " +
                             std::string(XML_ErrorString(XML_GetErrorCode(parser_))) + " at line " +
                             std::to_string(XML_GetCurrentLineNumber(parser_)) + ", column " +
                             std::to_string(XML_GetCurrentColumnNumber(parser_) + 1));
    }
    if (!result_) return Status::IoError("bad XMLRPC response: no value in the methodResponse");
    if (fault_) {
      std::optional<Fault> fault = FaultFromValue(*result_);
      if (!fault)
        return Status::IoError("bad XMLRPC response: a fault without faultCode and faultString");
      return fault->ToStatus();
    }
    return std::move(*result_);
  }

 private:
  static void OnStart(void* self, const XML_Char* name, const XML_Char**) {
    static_cast<ResponseParser*>(self)->Start(name);
  }
  static void OnEnd(void* self, const XML_Char*) { static_cast<ResponseParser*>(self)->End(); }
  static void OnText(void* self, const XML_Char* s, int len) {
    auto* p = static_cast<ResponseParser*>(self);
    if (p->collecting_) p->text_.append(s, static_cast<size_t>(len));
  }

  void Fail(std::string why) {
    if (error_.empty()) error_ = std::move(why);
    XML_StopParser(parser_, XML_FALSE);
  }
  Tag Top() const { return tags_.back(); }

  void Start(std::string_view name) {
    if (!error_.empty()) return;
    const auto expect = [&](bool ok, Tag tag) {
      if (!ok) {
        Fail("unexpected <" + std::string(name) + ">");
        return;
      }
      tags_.push_back(tag);
    };
    if (tags_.empty()) return expect(name == "methodResponse", Tag::kResponse);
    const Tag top = Top();
    if (name == "value") {
      if (top == Tag::kParam || top == Tag::kFault) {
        if (result_) return Fail("more than one value in the methodResponse");
      } else if (top != Tag::kData && top != Tag::kMember) {
        return expect(false, Tag::kValue);
      }
      typed_ = false;
      collecting_ = true;  // a bare <value>text</value> is a string
      text_.clear();
      return expect(true, Tag::kValue);
    }
    if (top == Tag::kValue) {
      if (typed_) return Fail("more than one type in a <value>");
      typed_ = true;
      text_.clear();
      collecting_ = false;
      if (name == "array") {
        containers_.emplace_back(Array{});
        return expect(true, Tag::kArray);
      }
      if (name == "struct") {
        containers_.emplace_back(Struct{});
        return expect(true, Tag::kStruct);
      }
      std::optional<Scalar> scalar;
      if (name == "i4" || name == "int" || name == "i8" || name == "ex:i8")
        scalar = Scalar::kInt;
      else if (name == "string")
        scalar = Scalar::kString;
      else if (name == "boolean")
        scalar = Scalar::kBool;
      else if (name == "double")
        scalar = Scalar::kDouble;
      else if (name == "base64")
        scalar = Scalar::kBase64;
      else if (name == "dateTime.iso8601")
        scalar = Scalar::kDateTime;
      else if (name == "nil" || name == "ex:nil")
        scalar = Scalar::kNil;
      if (!scalar) return expect(false, Tag::kScalar);
      scalar_ = *scalar;
      collecting_ = true;
      return expect(true, Tag::kScalar);
    }
    if (name == "params") return expect(top == Tag::kResponse && !seen_body_++, Tag::kParams);
    if (name == "fault") {
      fault_ = true;
      return expect(top == Tag::kResponse && !seen_body_++, Tag::kFault);
    }
    if (name == "param") return expect(top == Tag::kParams, Tag::kParam);
    if (name == "data") return expect(top == Tag::kArray, Tag::kData);
    if (name == "member") return expect(top == Tag::kStruct, Tag::kMember);
    if (name == "name") {
      collecting_ = true;
      text_.clear();
      return expect(top == Tag::kMember, Tag::kName);
    }
    expect(false, Tag::kScalar);
  }

  void End() {
    if (!error_.empty()) return;
    const Tag tag = Top();
    tags_.pop_back();
    switch (tag) {
      case Tag::kScalar:
        collecting_ = false;
        return FinishScalar();
      case Tag::kArray:
      case Tag::kStruct:
        pending_ = std::move(containers_.back());
        containers_.pop_back();
        return;
      case Tag::kName:
        collecting_ = false;
        names_.push_back(std::move(text_));
        text_.clear();
        return;
      case Tag::kMember:
        if (names_.empty() || !member_done_) return Fail("a <member> needs a <name> and a <value>");
        member_done_ = false;
        names_.pop_back();
        return;
      case Tag::kValue:
        collecting_ = false;
        if (!typed_) pending_ = Value(std::move(text_));
        text_.clear();
        typed_ = true;  // for the container's closing tags
        return Deliver();
      case Tag::kParams:
        if (!result_) Fail("no <param> in <params>");
        return;
      default:
        return;
    }
  }

  void FinishScalar() {
    const std::string_view text = text_;
    switch (scalar_) {
      case Scalar::kString:
        pending_ = Value(std::move(text_));
        break;
      case Scalar::kInt: {
        std::string_view digits = Trim(text);
        if (!digits.empty() && digits[0] == '+') digits.remove_prefix(1);
        int64_t n = 0;
        auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
        if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size()) {
          return Fail("bad integer '" + std::string(text) + "'");
        }
        pending_ = Value(n);
        break;
      }
      case Scalar::kBool: {
        const std::string_view b = Trim(text);
        if (b != "0" && b != "1") return Fail("bad boolean '" + std::string(text) + "'");
        pending_ = Value(b == "1");
        break;
      }
      case Scalar::kDouble: {
        const std::string trimmed(Trim(text));
        char* end = nullptr;
        const double d = std::strtod(trimmed.c_str(), &end);
        if (trimmed.empty() || *end != '\0') return Fail("bad double '" + trimmed + "'");
        pending_ = Value(d);
        break;
      }
      case Scalar::kBase64: {
        std::optional<std::string> bytes = DecodeBase64(text);
        if (!bytes) return Fail("bad base64 data");
        pending_ = Value(Binary{std::move(*bytes)});
        break;
      }
      case Scalar::kDateTime: {
        std::optional<std::string> normal = NormalDateTime(Trim(text));
        if (!normal) return Fail("bad dateTime.iso8601 '" + std::string(text) + "'");
        pending_ = Value(std::move(*normal));
        break;
      }
      case Scalar::kNil:
        if (!IsBlank(text)) return Fail("text in <nil/>");
        pending_ = Value();
        break;
    }
    text_.clear();
  }

  // A finished <value> goes where it was opened.
  void Deliver() {
    switch (Top()) {
      case Tag::kParam:
      case Tag::kFault:
        result_ = std::move(pending_);
        break;
      case Tag::kData:
        std::get<Array>(containers_.back().v).push_back(std::move(pending_));
        break;
      case Tag::kMember:
        if (names_.empty()) return Fail("a <member> needs its <name> before its <value>");
        std::get<Struct>(containers_.back().v).insert_or_assign(names_.back(), std::move(pending_));
        member_done_ = true;
        break;
      default:
        break;
    }
    pending_ = Value();
  }

  XML_Parser parser_;
  std::vector<Tag> tags_;
  std::vector<Value> containers_;   // arrays and structs being filled, innermost last
  std::vector<std::string> names_;  // member names, innermost last
  Value pending_;                   // the value of the element that just ended
  std::string text_;
  bool collecting_ = false;
  bool typed_ = false;
  bool member_done_ = false;
  Scalar scalar_ = Scalar::kString;
  int seen_body_ = 0;  // <params> or <fault> seen
  bool fault_ = false;
  std::optional<Value> result_;
  std::string error_;
};

// Invalid UTF-8 would make expat refuse the whole answer: each bad byte becomes U+FFFD,
// so one odd name cannot fail a d.multicall2. nullopt when nothing needs replacing.
std::optional<std::string> ReplaceInvalidUtf8(std::string_view xml) {
  constexpr std::string_view kReplacement = "\xEF\xBF\xBD";
  std::optional<std::string> out;
  size_t copied = 0;
  for (size_t i = 0; i < xml.size();) {
    if (static_cast<unsigned char>(xml[i]) < 0x80) {
      ++i;
      continue;
    }
    const size_t len = Utf8SequenceLength(xml.substr(i));
    if (len > 0) {
      i += len;
      continue;
    }
    if (!out) out.emplace();
    out->append(xml.substr(copied, i - copied));
    out->append(kReplacement);
    copied = ++i;
  }
  if (out) out->append(xml.substr(copied));
  return out;
}

}  // namespace

Result<Value> DecodeResponse(std::string_view xml) {
  if (xml.size() > kMaxXmlResponseBytes) {
    return Status::IoError("bad XMLRPC response: over " + std::to_string(kMaxXmlResponseBytes) +
                           " bytes");
  }
  std::optional<std::string> replaced = ReplaceInvalidUtf8(xml);
  ResponseParser parser;
  return parser.Parse(replaced ? std::string_view(*replaced) : xml);
}

}  // namespace torque::rtorrent
