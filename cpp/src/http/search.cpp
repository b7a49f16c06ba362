#include "search.hpp"

#include <algorithm>
#include <stdexcept>

#include "mailroom/mime/header_fields.hpp"
#include "mailroom/store/flags.hpp"
#include "mailroom/text.hpp"

namespace mailroom::http {

namespace {

const std::vector<std::string_view> kFields = {"from", "to", "cc", "bcc", "subject",
                                               "message-id", "tag", "is", "has", "reply-to"};

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
    for (std::uint32_t i = 0; i < p.parts.size(); ++i)
      if (!p.parts[i].is_multipart && p.is_attachment(i)) return true;
    return false;
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
    if (t.field == "has" && t.value != "attachment" && t.value != "attachments")
      throw std::invalid_argument("query: has: takes attachment, not '" + t.value + "'");
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
