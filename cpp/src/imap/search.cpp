#include "mailroom/imap/search.hpp"

#include <algorithm>
#include <ctime>

#include "mailroom/mime/codecs.hpp"
#include "mailroom/mime/header_fields.hpp"
#include "mailroom/store/flags.hpp"
#include "mailroom/text.hpp"

namespace mailroom::imap {

namespace {

const char* const kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                               "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

// Seconds since the epoch at the start of a day (UTC).
std::int64_t day_start(int year, int month, int day) { return mime::unix_time({year, month, day}); }

// Case-insensitive substring (ASCII folding; UTF-8 octets compared as they are).
bool contains(std::string_view hay, std::string_view needle) {
  if (needle.empty()) return true;
  if (needle.size() > hay.size()) return false;
  auto it = std::search(hay.begin(), hay.end(), needle.begin(), needle.end(),
                        [](char a, char b) { return ascii_lower(a) == ascii_lower(b); });
  return it != hay.end();
}

std::string header_text(const mime::ParsedMessage& m, std::string_view name) {
  std::string out;
  for (const auto& f : m.parts[0].headers) {
    if (!iequals(m.bytes(f.name), name)) continue;
    if (!out.empty()) out.push_back('\n');
    out += mime::decode_header(m.bytes(f.value));
  }
  return out;
}

bool has_header(const mime::ParsedMessage& m, std::string_view name) {
  return m.find_header(0, name) != nullptr;
}

std::string body_text(const mime::ParsedMessage& m) {
  std::string out;
  for (std::uint32_t i = 0; i < m.parts.size(); ++i) {
    const auto& p = m.parts[i];
    if (p.is_multipart || p.is_message) continue;
    if (p.content_type.rfind("text/", 0) == 0) {
      out += m.text(i);
    } else {
      continue;  // attachments are not text to match
    }
    out.push_back('\n');
  }
  return out;
}

}  // namespace

std::int64_t parse_search_date(std::string_view t) {
  if (t.size() >= 2 && t.front() == '"' && t.back() == '"') t = t.substr(1, t.size() - 2);
  const std::size_t d1 = t.find('-');
  const std::size_t d2 = d1 == std::string_view::npos ? d1 : t.find('-', d1 + 1);
  if (d2 == std::string_view::npos) throw SyntaxError("Invalid date (want 1-Feb-1994)");
  std::uint64_t day = 0, year = 0;
  if (d1 == 0 || d1 > 2 || !parse_number(t.substr(0, d1), day) || day < 1 || day > 31 ||
      t.size() - d2 - 1 != 4 || !parse_number(t.substr(d2 + 1), year))
    throw SyntaxError("Invalid date (want 1-Feb-1994)");
  const std::string_view mon = t.substr(d1 + 1, d2 - d1 - 1);
  unsigned month = 0;
  for (unsigned i = 0; i < 12; ++i)
    if (iequals(mon, kMonths[i])) month = i + 1;
  if (month == 0) throw SyntaxError("Invalid month in a date");
  return day_start(static_cast<int>(year), static_cast<int>(month), static_cast<int>(day));
}

class SearchKey {
 public:
  enum class Kind {
    All, And, Or, Not, SeqSet, UidSet, FlagSet, FlagClear, Keyword, Unkeyword, Recent,
    Header, Body, Text, Since, Before, On, SentSince, SentBefore, SentOn, Larger, Smaller,
    SavedUids, Modseq,
  };
  Kind kind = Kind::All;
  std::vector<std::unique_ptr<SearchKey>> children;
  std::vector<SequenceRange> ranges;  // normalized first <= last
  std::vector<std::uint32_t> uids;    // SavedUids: ascending
  std::uint8_t flag = 0;
  std::string name, value;
  std::int64_t date = 0;
  std::uint64_t size = 0;

  bool matches(const SearchSubject& s, std::shared_ptr<const mime::ParsedMessage>& parsed) const {
    const store::Message& m = *s.message;
    auto content = [&]() -> const mime::ParsedMessage& {
      if (!parsed) parsed = s.parsed();
      return *parsed;
    };
    auto in_ranges = [&](std::uint32_t n) {
      return std::any_of(ranges.begin(), ranges.end(),
                         [n](const SequenceRange& r) { return n >= r.first && n <= r.last; });
    };
    auto sent_day = [&]() -> std::optional<std::int64_t> {
      const auto* f = content().find_header(0, "Date");
      if (!f) return std::nullopt;
      auto dt = mime::parse_date(content().bytes(f->value));
      if (!dt) return std::nullopt;
      // RFC 9051 §6.4.4: the date, disregarding time and timezone.
      return day_start(dt->year, dt->month, dt->day);
    };
    const std::int64_t internal_day = m.internal_date - ((m.internal_date % 86400 + 86400) % 86400);
    switch (kind) {
      case Kind::All: return true;
      case Kind::Recent: return s.recent;
      case Kind::And:
        for (const auto& c : children)
          if (!c->matches(s, parsed)) return false;
        return true;
      case Kind::Or: return children[0]->matches(s, parsed) || children[1]->matches(s, parsed);
      case Kind::Not: return !children[0]->matches(s, parsed);
      case Kind::SeqSet: return in_ranges(s.seq);
      case Kind::UidSet: return in_ranges(m.uid);
      case Kind::FlagSet: return (m.flags & flag) != 0;
      case Kind::FlagClear: return (m.flags & flag) == 0;
      case Kind::Keyword: return store::has_keyword(m.keywords(), value);
      case Kind::Unkeyword: return !store::has_keyword(m.keywords(), value);
      case Kind::Header:
        // RFC 9051 §6.4.4: HEADER with an empty string matches every message
        // that has the field.
        if (value.empty()) return has_header(content(), name);
        return contains(header_text(content(), name), value);
      case Kind::Body: return contains(body_text(content()), value);
      case Kind::Text: {
        const auto& c = content();
        return contains(mime::decode_header(c.bytes(c.parts[0].header_block)), value) ||
               contains(body_text(c), value);
      }
      case Kind::Since: return internal_day >= date;
      case Kind::Before: return internal_day < date;
      case Kind::On: return internal_day == date;
      case Kind::SentSince: { auto d = sent_day(); return d && *d >= date; }
      case Kind::SentBefore: { auto d = sent_day(); return d && *d < date; }
      case Kind::SentOn: { auto d = sent_day(); return d && *d == date; }
      case Kind::Larger: return m.size > size;
      case Kind::Smaller: return m.size < size;
      case Kind::SavedUids: return std::binary_search(uids.begin(), uids.end(), m.uid);
      case Kind::Modseq: return m.modseq >= size;  // RFC 7162 §3.1.5: at least
    }
    return false;
  }
};

namespace {

using Kind = SearchKey::Kind;

struct KeyReader {
  Arguments& a;
  std::uint32_t largest_seq, largest_uid;
  const std::vector<std::uint32_t>* saved_uids = nullptr;
  bool imap4rev2 = false;
  bool needs_content = false;
  bool uses_modseq = false;
  unsigned depth = 0;

  std::vector<SequenceRange> ranges(std::uint32_t largest) {
    SequenceSet set = a.sequence_set();
    if (set.saved) a.fail("$ is not allowed here");
    return resolved_ranges(set, largest);
  }

  // "$": the saved result (RFC 5182 §2.1), as a sequence set or after UID.
  std::unique_ptr<SearchKey> saved() {
    const SequenceSet set = a.sequence_set();
    if (!set.saved) a.fail("Invalid sequence set");
    if (!saved_uids) a.fail("$ needs SEARCHRES, which this server does not offer");
    auto k = leaf(Kind::SavedUids);
    k->uids = *saved_uids;
    return k;
  }

  std::unique_ptr<SearchKey> leaf(Kind k) {
    auto key = std::make_unique<SearchKey>();
    key->kind = k;
    return key;
  }
  std::unique_ptr<SearchKey> flag(Kind k, std::uint8_t f) {
    auto key = leaf(k);
    key->flag = f;
    return key;
  }
  std::unique_ptr<SearchKey> text(Kind k, std::string header = {}) {
    a.sp();
    auto key = leaf(k);
    key->name = std::move(header);
    key->value = a.astring();
    needs_content = true;
    return key;
  }
  std::unique_ptr<SearchKey> date(Kind k) {
    a.sp();
    auto key = leaf(k);
    key->date = parse_search_date(a.peek('"') ? std::string_view(a.string()) : a.word());
    if (k == Kind::SentSince || k == Kind::SentBefore || k == Kind::SentOn) needs_content = true;
    return key;
  }

  std::unique_ptr<SearchKey> key() {
    if (++depth > 64) a.fail("Search criteria nested too deeply");
    struct Leave { unsigned& d; ~Leave() { --d; } } leave{depth};
    if (a.take('(')) {
      auto all = leaf(Kind::And);
      all->children.push_back(key());
      while (!a.take(')')) {
        a.sp();
        all->children.push_back(key());
      }
      return all;
    }
    if (a.peek('$')) return saved();
    if (a.peek('*') || (!a.at_end() && a.rest()[0] >= '0' && a.rest()[0] <= '9')) {
      auto k = leaf(Kind::SeqSet);
      k->ranges = ranges(largest_seq);
      return k;
    }
    const std::string word = [&] {
      std::string w = a.atom();
      for (char& c : w) c = ascii_upper(c);
      return w;
    }();
    if (word == "ALL") return leaf(Kind::All);
    if (word == "ANSWERED") return flag(Kind::FlagSet, store::kAnswered);
    if (word == "UNANSWERED") return flag(Kind::FlagClear, store::kAnswered);
    if (word == "DELETED") return flag(Kind::FlagSet, store::kDeleted);
    if (word == "UNDELETED") return flag(Kind::FlagClear, store::kDeleted);
    if (word == "DRAFT") return flag(Kind::FlagSet, store::kDraft);
    if (word == "UNDRAFT") return flag(Kind::FlagClear, store::kDraft);
    if (word == "FLAGGED") return flag(Kind::FlagSet, store::kFlagged);
    if (word == "UNFLAGGED") return flag(Kind::FlagClear, store::kFlagged);
    if (word == "SEEN") return flag(Kind::FlagSet, store::kSeen);
    if (word == "UNSEEN") return flag(Kind::FlagClear, store::kSeen);
    // RFC 3501 §6.4.4: NEW is RECENT UNSEEN, OLD is NOT RECENT. IMAP4rev2
    // removed all three with \Recent (RFC 9051 Appendix E; its
    // search-key grammar has none of them).
    if (imap4rev2 && (word == "RECENT" || word == "NEW" || word == "OLD"))
      a.fail("IMAP4rev2 has no " + word + " search key (RFC 9051 Appendix E)");
    if (word == "RECENT") return leaf(Kind::Recent);
    if (word == "NEW") {
      auto k = leaf(Kind::And);
      k->children.push_back(leaf(Kind::Recent));
      k->children.push_back(flag(Kind::FlagClear, store::kSeen));
      return k;
    }
    if (word == "OLD") {
      auto k = leaf(Kind::Not);
      k->children.push_back(leaf(Kind::Recent));
      return k;
    }
    if (word == "KEYWORD" || word == "UNKEYWORD") {
      a.sp();
      auto k = leaf(word == "KEYWORD" ? Kind::Keyword : Kind::Unkeyword);
      k->value = a.atom();
      return k;
    }
    if (word == "FROM" || word == "TO" || word == "CC" || word == "BCC" || word == "SUBJECT")
      return text(Kind::Header, word);
    if (word == "HEADER") {
      a.sp();
      std::string name = a.astring();
      return text(Kind::Header, std::move(name));
    }
    if (word == "BODY") return text(Kind::Body);
    if (word == "TEXT") return text(Kind::Text);
    if (word == "SINCE") return date(Kind::Since);
    if (word == "BEFORE") return date(Kind::Before);
    if (word == "ON") return date(Kind::On);
    if (word == "SENTSINCE") return date(Kind::SentSince);
    if (word == "SENTBEFORE") return date(Kind::SentBefore);
    if (word == "SENTON") return date(Kind::SentOn);
    if (word == "LARGER" || word == "SMALLER") {
      a.sp();
      auto k = leaf(word == "LARGER" ? Kind::Larger : Kind::Smaller);
      k->size = a.number64();
      return k;
    }
    if (word == "UID") {
      a.sp();
      if (a.peek('$')) return saved();
      auto k = leaf(Kind::UidSet);
      k->ranges = ranges(largest_uid);
      return k;
    }
    if (word == "MODSEQ") {
      // RFC 7162 §3.1.5: MODSEQ [entry-name entry-type-req] mod-sequence-valzer;
      // this store keeps one MODSEQ per message, so the entry is checked and
      // then only the number counts.
      a.sp();
      if (a.peek('"')) {
        const std::string entry = a.string();
        if (!istarts_with(entry, "/flags/")) a.fail("Invalid MODSEQ entry name");
        a.sp();
        std::string type = a.atom();
        for (char& c : type) c = ascii_upper(c);
        if (type != "PRIV" && type != "SHARED" && type != "ALL") a.fail("Invalid MODSEQ entry type");
        a.sp();
      }
      auto k = leaf(Kind::Modseq);
      k->size = a.number64();
      uses_modseq = true;
      return k;
    }
    if (word == "NOT") {
      a.sp();
      auto k = leaf(Kind::Not);
      k->children.push_back(key());
      return k;
    }
    if (word == "OR") {
      a.sp();
      auto k = leaf(Kind::Or);
      k->children.push_back(key());
      a.sp();
      k->children.push_back(key());
      return k;
    }
    a.fail("Unknown search key " + word);
  }
};

}  // namespace

SearchProgram::SearchProgram() = default;
SearchProgram::SearchProgram(SearchProgram&&) noexcept = default;
SearchProgram& SearchProgram::operator=(SearchProgram&&) noexcept = default;
SearchProgram::~SearchProgram() = default;

SearchProgram SearchProgram::parse(Arguments& a, std::uint32_t largest_seq,
                                   std::uint32_t largest_uid,
                                   const std::vector<std::uint32_t>* saved_uids,
                                   bool imap4rev2) {
  KeyReader r{a, largest_seq, largest_uid, saved_uids, imap4rev2};
  SearchProgram p;
  p.root_ = std::make_unique<SearchKey>();
  p.root_->kind = Kind::And;
  p.root_->children.push_back(r.key());
  while (!a.at_end()) {
    a.sp();
    p.root_->children.push_back(r.key());
  }
  p.needs_content_ = r.needs_content;
  p.uses_modseq_ = r.uses_modseq;
  return p;
}

bool SearchProgram::matches(const SearchSubject& s) const {
  std::shared_ptr<const mime::ParsedMessage> parsed;
  return root_->matches(s, parsed);
}

}  // namespace mailroom::imap
