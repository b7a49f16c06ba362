// Charsets: MIME labels to iconv names, conversion to and from UTF-8 through
// glibc iconv (one descriptor per thread and charset), UTF-8 validation.
#include <iconv.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <unordered_map>

#include "mailroom/utf8.hpp"
#include "mailroom/mime/codecs.hpp"

namespace mailroom::mime {
namespace {

constexpr char kReplacement[] = "\xEF\xBF\xBD";  // U+FFFD

std::string lower_trimmed(std::string_view label) {
  while (!label.empty() && (label.front() == ' ' || label.front() == '\t' || label.front() == '"'))
    label.remove_prefix(1);
  while (!label.empty() && (label.back() == ' ' || label.back() == '\t' || label.back() == '"'))
    label.remove_suffix(1);
  std::string s(label);
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

struct Alias {
  std::string_view label;  // compared by length first
  const char* name;
};

// Labels seen in mail, mapped to the iconv name that decodes them best.
// Supersets are used where senders mislabel (gb2312 is sent as GBK text,
// ks_c_5601 as Microsoft's CP949, shift_jis as CP932).
constexpr Alias kAliases[] = {
    {"utf-8", "UTF-8"},          {"utf8", "UTF-8"},
    {"unicode-1-1-utf-8", "UTF-8"},
    {"us-ascii", "US-ASCII"},    {"ascii", "US-ASCII"},
    {"ansi_x3.4-1968", "US-ASCII"}, {"iso646-us", "US-ASCII"},
    {"latin1", "ISO-8859-1"},    {"latin-1", "ISO-8859-1"},
    {"iso-8859-1", "ISO-8859-1"}, {"iso8859-1", "ISO-8859-1"},
    {"iso_8859-1", "ISO-8859-1"}, {"l1", "ISO-8859-1"},
    {"latin2", "ISO-8859-2"},    {"iso8859-2", "ISO-8859-2"},
    {"latin9", "ISO-8859-15"},   {"iso8859-15", "ISO-8859-15"},
    {"windows-1250", "CP1250"},  {"cp1250", "CP1250"},
    {"windows-1251", "CP1251"},  {"cp1251", "CP1251"},
    {"windows-1252", "CP1252"},  {"cp1252", "CP1252"},
    {"windows-1253", "CP1253"},  {"cp1253", "CP1253"},
    {"windows-1254", "CP1254"},  {"cp1254", "CP1254"},
    {"windows-1255", "CP1255"},  {"cp1255", "CP1255"},
    {"windows-1256", "CP1256"},  {"cp1256", "CP1256"},
    {"windows-1257", "CP1257"},  {"cp1257", "CP1257"},
    {"windows-1258", "CP1258"},  {"cp1258", "CP1258"},
    {"euc-kr", "CP949"},         {"euckr", "CP949"},
    {"ks_c_5601-1987", "CP949"}, {"ks_c_5601", "CP949"},
    {"ks_c_5601-1989", "CP949"}, {"ksc5601", "CP949"},
    {"ksc_5601", "CP949"},       {"cp949", "CP949"},
    {"uhc", "CP949"},            {"x-windows-949", "CP949"},
    {"windows-949", "CP949"},
    {"iso-2022-kr", "ISO-2022-KR"},
    {"iso-2022-jp", "ISO-2022-JP-2"}, {"csiso2022jp", "ISO-2022-JP-2"},
    {"iso-2022-jp-2", "ISO-2022-JP-2"},
    {"shift_jis", "CP932"},      {"shift-jis", "CP932"},
    {"sjis", "CP932"},           {"x-sjis", "CP932"},
    {"ms_kanji", "CP932"},       {"cp932", "CP932"},
    {"windows-31j", "CP932"},
    {"euc-jp", "EUC-JP"},        {"x-euc-jp", "EUC-JP"},
    {"gb2312", "GB18030"},       {"gbk", "GB18030"},
    {"cp936", "GB18030"},        {"x-gbk", "GB18030"},
    {"euc-cn", "GB18030"},       {"gb18030", "GB18030"},
    {"chinese", "GB18030"},      {"csgb2312", "GB18030"},
    {"big5", "BIG5-HKSCS"},      {"big5-hkscs", "BIG5-HKSCS"},
    {"x-big5", "BIG5-HKSCS"},    {"cp950", "CP950"},
    {"koi8-r", "KOI8-R"},        {"koi8-u", "KOI8-U"},
    {"utf-16", "UTF-16"},        {"utf-16le", "UTF-16LE"},
    {"utf-16be", "UTF-16BE"},    {"utf-32", "UTF-32"},
    {"utf-7", "UTF-7"},          {"tis-620", "TIS-620"},
    {"windows-874", "CP874"},    {"cp874", "CP874"},
};

// Charsets decoded without iconv.
enum class Builtin { none, utf8, ascii, latin1 };

Builtin builtin_for(std::string_view canonical) {
  if (canonical == "UTF-8") return Builtin::utf8;
  // Mail labelled us-ascii often carries 8-bit UTF-8: read it leniently as UTF-8.
  if (canonical == "US-ASCII") return Builtin::ascii;
  if (canonical == "ISO-8859-1") return Builtin::latin1;
  return Builtin::none;
}

// One iconv descriptor per thread and (from, to) pair; closed at thread exit.
class IconvCache {
 public:
  ~IconvCache() {
    for (auto& [key, cd] : map_) {
      if (cd != invalid()) iconv_close(cd);
    }
  }
  // Returns (iconv_t)-1 when iconv does not know the charset.
  iconv_t get(const std::string& to, const std::string& from) {
    std::string key = to + '\0' + from;
    auto it = map_.find(key);
    if (it == map_.end()) {
      if (map_.size() > 64) clear();
      it = map_.emplace(std::move(key), iconv_open(to.c_str(), from.c_str())).first;
    } else if (it->second != invalid()) {
      iconv(it->second, nullptr, nullptr, nullptr, nullptr);  // reset shift state
    }
    return it->second;
  }

 private:
  static iconv_t invalid() { return reinterpret_cast<iconv_t>(-1); }
  void clear() {
    for (auto& [key, cd] : map_) {
      if (cd != invalid()) iconv_close(cd);
    }
    map_.clear();
  }
  std::unordered_map<std::string, iconv_t> map_;
};

IconvCache& cache() {
  thread_local IconvCache c;
  return c;
}

// Bytes to replace by one U+FFFD at an invalid position: the lead byte and
// the continuation bytes that were still acceptable (the "maximal subpart").
inline std::size_t invalid_length(const unsigned char* p, std::size_t n) {
  const unsigned char c = p[0];
  std::size_t need = 0;
  unsigned char lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c < 0xE0) {
    need = 1;
  } else if (c >= 0xE0 && c < 0xF0) {
    need = 2;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c < 0xF5) {
    need = 3;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 1;
  }
  std::size_t len = 1;
  for (std::size_t k = 0; k < need && len < n; ++k) {
    const unsigned char b = p[len];
    if (b < lo || b > hi) break;
    lo = 0x80;
    hi = 0xBF;
    ++len;
  }
  return len;
}

// Appends `data` to `out` with invalid UTF-8 replaced; true if it was valid.
bool append_sanitized(std::string_view data, std::string& out) {
  const auto* p = reinterpret_cast<const unsigned char*>(data.data());
  const std::size_t n = data.size();
  bool valid = true;
  std::size_t i = 0, run = 0;  // [run, i) is valid and not yet copied
  while (i < n) {
    // Skip ASCII eight bytes at a time.
    while (i + 8 <= n) {
      std::uint64_t w;
      std::memcpy(&w, p + i, 8);
      if (w & 0x8080808080808080ULL) break;
      i += 8;
    }
    if (i >= n) break;
    const std::size_t len = utf8_sequence(p + i, n - i);
    if (len != 0) {
      i += len;
      continue;
    }
    valid = false;
    out.append(data.data() + run, i - run);
    out.append(kReplacement, 3);
    i += invalid_length(p + i, n - i);
    run = i;
  }
  out.append(data.data() + run, n - run);
  return valid;
}

void append_latin1(std::string_view data, std::string& out) {
  out.reserve(out.size() + data.size() * 2);
  for (unsigned char c : data) {
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back(static_cast<char>(0xC0 | (c >> 6)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    }
  }
}

// Runs iconv over all of `data`, appending to `out`. Undecodable input becomes
// U+FFFD when `replace`; otherwise stops and returns false at the first one.
bool run_iconv(iconv_t cd, std::string_view data, std::string& out, bool replace, bool* bad) {
  char* in = const_cast<char*>(data.data());
  std::size_t in_left = data.size();
  std::string buf(data.size() * 2 + 16, '\0');
  bool ok = true;
  while (true) {
    char* o = buf.data();
    std::size_t o_left = buf.size();
    const std::size_t r = iconv(cd, &in, &in_left, &o, &o_left);
    out.append(buf.data(), buf.size() - o_left);
    if (r != static_cast<std::size_t>(-1)) {
      if (in_left == 0) {
        // Write any final shift sequence, then done.
        char* o2 = buf.data();
        std::size_t o2_left = buf.size();
        iconv(cd, nullptr, nullptr, &o2, &o2_left);
        out.append(buf.data(), buf.size() - o2_left);
        return ok;
      }
      continue;
    }
    if (errno == E2BIG) continue;  // buffer drained above; go on
    if (!replace) return false;
    ok = false;
    if (bad != nullptr) *bad = true;
    if (errno == EINVAL) {  // incomplete sequence at the end
      out.append(kReplacement, 3);
      return ok;
    }
    // EILSEQ (or anything else): replace one byte and resume after it.
    out.append(kReplacement, 3);
    if (in_left == 0) return ok;
    ++in;
    --in_left;
  }
}

}  // namespace

std::string canonical_charset(std::string_view label) {
  std::string l = lower_trimmed(label);
  // RFC 2231 language suffix: "utf-8*en".
  if (auto star = l.find('*'); star != std::string::npos) l.resize(star);
  if (l.empty()) return "US-ASCII";
  for (const Alias& a : kAliases) {
    if (l == a.label) return a.name;
  }
  std::string upper = l;
  for (char& c : upper) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  // "x-" prefixed labels are often the plain charset ("x-mac-roman" aside).
  return upper;
}

bool sanitize_utf8(std::string_view data, std::string& out) {
  out.clear();
  return append_sanitized(data, out);
}

bool append_sanitized_utf8(std::string_view data, std::string& out) {
  return append_sanitized(data, out);
}

bool reads_as_utf8(std::string_view charset) {
  if (charset.empty()) return true;
  const Builtin b = builtin_for(canonical_charset(charset));
  return b == Builtin::utf8 || b == Builtin::ascii;
}

bool to_utf8(std::string_view data, std::string_view charset, std::string& out, bool* bad) {
  out.clear();
  const std::string name = canonical_charset(charset);
  switch (builtin_for(name)) {
    case Builtin::utf8:
    case Builtin::ascii:
      if (!append_sanitized(data, out) && bad != nullptr) *bad = true;
      return true;
    case Builtin::latin1:
      append_latin1(data, out);
      return true;
    case Builtin::none:
      break;
  }
  // Reject names iconv would read as options or paths.
  const bool plain_name = name.find('/') == std::string::npos && name.size() < 64;
  iconv_t cd = plain_name ? cache().get("UTF-8", name) : reinterpret_cast<iconv_t>(-1);
  if (cd == reinterpret_cast<iconv_t>(-1)) {
    if (!append_sanitized(data, out) && bad != nullptr) *bad = true;
    return false;
  }
  run_iconv(cd, data, out, true, bad);
  return true;
}

bool from_utf8(std::string_view utf8, std::string_view charset, std::string& out) {
  out.clear();
  const std::string name = canonical_charset(charset);
  if (name == "UTF-8") {
    if (!append_sanitized(utf8, out)) return false;
    return true;
  }
  const bool plain_name = name.find('/') == std::string::npos && name.size() < 64;
  iconv_t cd = plain_name ? cache().get(name, "UTF-8") : reinterpret_cast<iconv_t>(-1);
  if (cd == reinterpret_cast<iconv_t>(-1)) return false;
  if (!run_iconv(cd, utf8, out, false, nullptr)) {
    out.clear();
    return false;
  }
  return true;
}

}  // namespace mailroom::mime
