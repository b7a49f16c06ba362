#include "search.hpp"

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <stdexcept>

#include "mailroom/mime/header_fields.hpp"
#include "mailroom/store/flags.hpp"
#include "mailroom/text.hpp"

namespace mailroom::http {

namespace {

const std::vector<std::string_view> kFields = {
    "from", "to", "cc", "bcc", "reply-to", "addressed", "subject", "message-id",
    "tag", "is", "has", "after", "before", "larger", "smaller"};

// Digits [from, from + n) of `s` as a number; false when any is not a digit.
bool digits(std::string_view s, std::size_t from, std::size_t n, int& out) {
  if (from + n > s.size()) return false;
  out = 0;
  for (std::size_t i = from; i < from + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

// after:/before: "YYYY/MM/DD" or "YYYY-MM-DD", then optionally " HH:MM[:SS]"
// or "THH:MM[:SS]" and a "Z", in UTC; seconds since the epoch.
bool parse_search_date(std::string_view text, double& out) {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!digits(text, 0, 4, year) || text.size() < 10 || (text[4] != '-' && text[4] != '/') ||
      text[7] != text[4] || !digits(text, 5, 2, month) || !digits(text, 8, 2, day))
    return false;
  std::string_view rest = text.substr(10);
  if (!rest.empty() && (rest[0] == ' ' || rest[0] == 't')) {
    if (rest.size() < 6 || !digits(rest, 1, 2, hour) || rest[3] != ':' || !digits(rest, 4, 2, minute))
      return false;
    rest.remove_prefix(6);
    if (!rest.empty() && rest[0] == ':') {
      if (!digits(rest, 1, 2, second)) return false;
      rest.remove_prefix(3);
    }
  }
  if (rest == "z") rest = {};
  if (!rest.empty() || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 ||
      minute > 59 || second > 60)
    return false;
  out = static_cast<double>(mime::unix_time({year, month, day, hour, minute, second}));
  return true;
}

// larger:/smaller: "500", "2k", "2kb", "1.5m", "1.5mb" (Mailpit's units:
// k and m are 1024 and 1024^2); bytes, or -1.
double parse_search_size(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size() && ((text[i] >= '0' && text[i] <= '9') || text[i] == '.')) ++i;
  const std::string number(text.substr(0, i));
  if (number.empty() || number.front() == '.' || std::count(number.begin(), number.end(), '.') > 1)
    return -1;
  const std::string_view unit = text.substr(i);
  double scale = 1;
  if (unit == "k" || unit == "kb") scale = 1024;
  else if (unit == "m" || unit == "mb") scale = 1024.0 * 1024;
  else if (!unit.empty() && unit != "b") return -1;
  return std::strtod(number.c_str(), nullptr) * scale;
}

bool contains(std::string_view haystack, std::string_view lowered_needle) {
  return lowered(haystack).find(lowered_needle) != std::string::npos;
}

std::string addresses(const mime::ParsedMessage& p, std::string_view field) {
  std::string out;
  if (p.parts.empty()) return out;
  for (const auto& h : p.parts[0].headers) {
    if (!iequals(p.bytes(h.name), field)) continue;
    for (const auto& a : mime::parse_address_list(p.bytes(h.value)))
      out += a.display_name + " <" + a.address + "> ";
  }
  return out;
}

bool term_holds(const SearchTerm& t, const MessageView& v) {
  const auto& p = *v.parsed;
  if (t.field.empty())
    return contains(message_subject(p), t.value) || contains(addresses(p, "From"), t.value) ||
           contains(addresses(p, "To"), t.value) || contains(addresses(p, "Cc"), t.value) ||
           contains(message_text(p), t.value) || contains(message_html(p), t.value);
  if (t.field == "from" || t.field == "to" || t.field == "cc" || t.field == "bcc" ||
      t.field == "reply-to") {
    std::string name = t.field == "reply-to" ? "Reply-To" : t.field;
    return contains(addresses(p, name), t.value);
  }
  if (t.field == "addressed") {
    for (const char* name : {"From", "To", "Cc", "Bcc", "Reply-To"})
      if (contains(addresses(p, name), t.value)) return true;
    return false;
  }
  if (t.field == "after") return received_at(v) >= t.number;
  if (t.field == "before") return received_at(v) <= t.number;
  if (t.field == "larger") return static_cast<double>(v.message->size) > t.number;
  if (t.field == "smaller") return static_cast<double>(v.message->size) < t.number;
  if (t.field == "subject") return contains(message_subject(p), t.value);
  if (t.field == "message-id") return contains(decoded_header(p, "Message-ID"), t.value);
  if (t.field == "tag") {
    auto tags = message_tags(v);
    return std::any_of(tags.begin(), tags.end(), [&](const std::string& g) { return lowered(g) == t.value; });
  }
  if (t.field == "is") {
    const bool seen = (v.message->flags & store::kSeen) != 0;
    if (t.value == "read") return seen;
    if (t.value == "unread") return !seen;
    if (t.value == "tagged") return !message_tags(v).empty();
    if (t.value == "flagged" || t.value == "starred") return (v.message->flags & store::kFlagged) != 0;
  }
  if (t.field == "has") {
    // As the message's "Attachments" and "Inline" list them.
    const auto counts = attachment_counts(p);
    return (t.value == "inline" || t.value == "inlines") ? counts.inlined > 0 : counts.attached > 0;
  }
  return false;
}

}  // namespace

std::vector<SearchTerm> parse_search(std::string_view query) {
  std::vector<SearchTerm> terms;
  std::size_t i = 0;
  while (i < query.size()) {
    while (i < query.size() && (query[i] == ' ' || query[i] == '\t')) ++i;
    if (i >= query.size()) break;
    SearchTerm t;
    if (query[i] == '-' || query[i] == '!') {
      t.negated = true;
      ++i;
    }
    std::string word;
    bool quoted = false;
    while (i < query.size() && query[i] != ' ' && query[i] != '\t') {
      if (query[i] == '"') {
        quoted = true;
        auto end = query.find('"', i + 1);
        if (end == std::string_view::npos) end = query.size();
        word.append(query.substr(i + 1, end - i - 1));
        i = end + 1;
        continue;
      }
      word.push_back(query[i++]);
    }
    auto colon = word.find(':');
    if (!quoted || colon < word.find(' ')) {
      if (colon != std::string::npos && colon > 0) {
        std::string field = lowered(word.substr(0, colon));
        if (std::find(kFields.begin(), kFields.end(), field) != kFields.end()) {
          t.field = field;
          word = word.substr(colon + 1);
        }
      }
    }
    t.value = lowered(word);
    if (t.field == "is" && t.value != "read" && t.value != "unread" && t.value != "tagged" &&
        t.value != "flagged" && t.value != "starred")
      throw std::invalid_argument("query: is: takes read, unread, tagged or flagged, not '" +
                                  t.value + "'");
    if (t.field == "has" && t.value != "attachment" && t.value != "attachments" &&
        t.value != "inline" && t.value != "inlines")
      throw std::invalid_argument("query: has: takes attachment or inline, not '" + t.value + "'");
    if ((t.field == "after" || t.field == "before") && !parse_search_date(t.value, t.number))
      throw std::invalid_argument("query: " + t.field +
                                  ": takes a date such as 2024/04/01 or 2024-04-01T10:30:00 (UTC), "
                                  "not '" + t.value + "'");
    if (t.field == "larger" || t.field == "smaller") {
      t.number = parse_search_size(t.value);
      if (t.number < 0)
        throw std::invalid_argument("query: " + t.field +
                                    ": takes a size such as 500, 2k or 1.5MB, not '" + t.value + "'");
    }
    if (t.value.empty() && t.field.empty()) continue;
    terms.push_back(std::move(t));
  }
  return terms;
}

bool search_matches(const std::vector<SearchTerm>& terms, const MessageView& v) {
  return std::all_of(terms.begin(), terms.end(),
                     [&](const SearchTerm& t) { return term_holds(t, v) != t.negated; });
}

}  // namespace mailroom::http
