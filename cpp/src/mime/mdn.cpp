// Read receipts (RFC 8098) in a multipart/report (RFC 6522).
#include "mailroom/mime/mdn.hpp"

#include <initializer_list>
#include <stdexcept>
#include <string_view>
#include <utility>

#include "mailroom/mime/builder.hpp"
#include "mailroom/mime/header_fields.hpp"
#include "mailroom/mime/message.hpp"
#include "mailroom/mime/report.hpp"
#include "mailroom/text.hpp"

namespace mailroom::mime {

namespace {

using report::clean;

void check_line(std::string_view value, const char* what) {
  if (value.find_first_of("\r\n") != std::string_view::npos)
    throw std::invalid_argument(std::string("CR or LF in ") + what);
}

// The first mailbox of a raw address field, or "".
std::string first_address(std::string_view raw) {
  for (const Address& a : parse_address_list(raw))
    if (!a.address.empty()) return a.address;
  return "";
}

// The pieces one after another (appends rather than operator+, which GCC 12
// warns about falsely at -O3).
std::string joined(std::initializer_list<std::string_view> pieces) {
  std::string out;
  for (std::string_view p : pieces) out.append(p);
  return out;
}

bool is_keyword(std::string_view s) {  // RFC 8098 atoms: letters, digits, "-"
  if (s.empty()) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-'))
      return false;
  return true;
}

}  // namespace

std::string build_mdn(const MdnSpec& spec) {
  const std::string type = lowered(spec.disposition_type);
  if (type != "displayed" && type != "deleted" && type != "dispatched" && type != "processed")
    throw std::invalid_argument("the disposition type must be displayed, deleted, dispatched or "
                                "processed (RFC 8098 §3.2.6.2), not '" + spec.disposition_type + "'");
  if (spec.include != "headers" && spec.include != "full" && spec.include != "none")
    throw std::invalid_argument("include must be \"headers\", \"full\" or \"none\"");
  for (const auto& m : spec.modifiers)
    if (!is_keyword(m)) throw std::invalid_argument("bad disposition modifier '" + m + "'");
  check_line(spec.final_recipient, "final_recipient");
  check_line(spec.to, "to");
  check_line(spec.reporting_ua, "reporting_ua");

  // Only the original's header section is needed (and returned with "headers").
  const std::string_view headers = report::header_section(spec.original);
  const auto original = parse_message(std::string(headers) + "\r\n");
  auto field = [&](std::string_view name) -> std::string_view {
    const HeaderField* h = original->find_header(0, name);
    return h ? original->bytes(h->value) : std::string_view();
  };
  std::string to = spec.to.empty() ? first_address(field("Disposition-Notification-To")) : spec.to;
  // RFC 8098 §2.1: the MDN goes to the Disposition-Notification-To address.
  if (to.empty() || to.find('@') == std::string::npos)
    throw std::invalid_argument(
        "no address to send the MDN to: the message has no Disposition-Notification-To");
  const std::string reader = spec.final_recipient;
  if (reader.empty() || reader.find('@') == std::string::npos)
    throw std::invalid_argument("final_recipient must be the reader's address");

  const std::string subject = clean(field("Subject"), 900);
  const std::string original_id = clean(field("Message-ID"), 998);
  const std::string original_recipient = clean(field("Original-Recipient"), 998);

  std::string disposition = spec.automatic_action ? "automatic-action/" : "manual-action/";
  disposition.append(spec.sent_automatically ? "MDN-sent-automatically; " : "MDN-sent-manually; ");
  disposition.append(type);
  for (std::size_t i = 0; i < spec.modifiers.size(); ++i)
    disposition.append(i == 0 ? "/" : ",").append(lowered(spec.modifiers[i]));

  std::string note;
  if (!spec.text.empty()) {
    note = report::canonical_lines(spec.text);
  } else {
    std::string words = "The message";
    if (!subject.empty()) words.append(" \"").append(subject).append("\"");
    words.append(" sent to ").append(clean(reader));
    words.append(type == "displayed"    ? " was displayed. This is no guarantee that it was read or understood."
                 : type == "deleted"    ? " was deleted without being displayed."
                 : type == "dispatched" ? " was printed, faxed or forwarded without being displayed."
                                        : " was processed without being displayed.");
    report::wrap(note, "", "", clean(words), 76);
  }

  std::string status;  // RFC 8098 §3.2
  report::add_field(status, "Reporting-UA", clean(spec.reporting_ua, 255));
  if (!original_recipient.empty()) report::add_field(status, "Original-Recipient", original_recipient);
  report::add_field(status, "Final-Recipient", joined({"rfc822; ", clean(reader)}));
  if (!original_id.empty()) report::add_field(status, "Original-Message-ID", original_id);
  report::add_field(status, "Disposition", disposition);

  const std::string message_id =
      spec.message_id ? clean(*spec.message_id) : make_message_id(address_domain(reader));
  std::vector<std::pair<std::string, std::string>> fields;
  fields.emplace_back("From", joined({"<", clean(reader), ">"}));
  fields.emplace_back("To", joined({"<", clean(to), ">"}));
  const std::string_view about = subject.empty() ? std::string_view("(no subject)") : subject;
  fields.emplace_back("Subject", type == "displayed"
                                     ? joined({"Read: ", about})
                                     : joined({"Disposition notification: ", type, ": ", about}));
  fields.emplace_back("Date", spec.date ? clean(*spec.date) : format_date_now());
  fields.emplace_back("Message-ID", message_id);
  if (!original_id.empty()) {
    fields.emplace_back("In-Reply-To", original_id);
    fields.emplace_back("References", original_id);
  }
  if (spec.sent_automatically) fields.emplace_back("Auto-Submitted", "auto-replied");

  std::vector<report::Part> parts;
  parts.push_back({"Notification", "text/plain; charset=us-ascii", "", note});
  parts.push_back({"Disposition notification", "message/disposition-notification", "", status});
  if (spec.include != "none")
    parts.push_back(report::original_part(spec.original, spec.include == "full",
                                          spec.include == "full" ? "Message" : "Message Headers"));
  return report::build(fields, "disposition-notification", message_id, parts);
}

}  // namespace mailroom::mime
