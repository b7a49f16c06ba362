// mailroom._core.mime.build_message, build_mdn, build_reply and without_bcc: the Python
// arguments are converted first, then the message is built with the GIL
// released.
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <pybind11/stl.h>

#include "bytes_arg.hpp"
#include "mailroom/mime/builder.hpp"
#include "mailroom/mime/mdn.hpp"
#include "mailroom/mime/reply.hpp"
#include "register.hpp"

namespace py = pybind11;
namespace mime = mailroom::mime;

namespace mailroom::bindings {
namespace {

using MailboxArg = std::pair<std::string, std::string>;  // (display name, address)

mime::Mailbox to_mailbox(const MailboxArg& m) { return {m.first, m.second}; }

std::vector<mime::Mailbox> to_mailboxes(const std::vector<MailboxArg>& list) {
  std::vector<mime::Mailbox> out;
  out.reserve(list.size());
  for (const auto& m : list) out.push_back(to_mailbox(m));
  return out;
}

// A message written by `write` with the GIL released, as bytes;
// std::invalid_argument becomes ValueError.
template <class Write>
py::bytes written(Write&& write) {
  std::string out;
  {
    py::gil_scoped_release nogil;
    out = write();
  }
  return to_bytes(out);
}

}  // namespace

void register_builder(py::module_& m) {
  py::module_ mime_ = m.def_submodule("mime");
  mime_.def(
      "build_message",
      [](std::optional<MailboxArg> sender, const std::vector<MailboxArg>& to,
         const std::vector<MailboxArg>& cc, std::optional<std::string> subject,
         std::optional<std::string> text, std::optional<std::string> html,
         const py::list& attachments, const std::vector<std::pair<std::string, std::string>>& headers,
         std::optional<std::string> date, std::optional<std::string> message_id,
         const std::vector<MailboxArg>& reply_to) {
        mime::MessageSpec spec;
        if (sender) spec.from = to_mailbox(*sender);
        spec.to = to_mailboxes(to);
        spec.cc = to_mailboxes(cc);
        spec.reply_to = to_mailboxes(reply_to);
        spec.subject = std::move(subject);
        spec.text = std::move(text);
        spec.html = std::move(html);
        for (py::handle item : attachments) {
          if (!py::isinstance<py::tuple>(item) || py::len(item) != 3)
            throw py::type_error(
                "build_message(): attachments must be (filename, data, content_type) tuples");
          auto t = py::reinterpret_borrow<py::tuple>(item);
          ByteArg data(t[1], "build_message", "attachment data", false);
          spec.attachments.push_back(
              {t[0].cast<std::string>(), std::string(data.view()), t[2].cast<std::string>()});
        }
        spec.headers = headers;
        spec.date = std::move(date);
        spec.message_id = std::move(message_id);
        return written([&] { return mime::build_message(spec); });
      },
      py::arg("sender"), py::arg("to"), py::arg("cc") = std::vector<MailboxArg>{},
      py::arg("subject") = py::none(), py::arg("text") = py::none(),
      py::arg("html") = py::none(), py::arg("attachments") = py::list(),
      py::arg("headers") = std::vector<std::pair<std::string, std::string>>{},
      py::arg("date") = py::none(), py::arg("message_id") = py::none(),
      py::arg("reply_to") = std::vector<MailboxArg>{},
      "Builds an RFC 5322 + MIME message (CRLF line ends) and returns its bytes. "
      "Mailboxes are (display_name, address) tuples; Bcc is never written.");

  mime_.def(
      "build_reply",
      [](std::shared_ptr<mime::ParsedMessage> original, const std::string& mode,
         std::optional<MailboxArg> sender, const std::vector<std::string>& own_addresses,
         const std::vector<MailboxArg>& to, bool quote, bool inline_forward,
         std::optional<std::string> text, std::optional<std::string> html,
         std::optional<std::string> date, std::optional<std::string> message_id) {
        const auto parsed_mode = mime::parse_reply_mode(mode);
        if (!parsed_mode)
          throw py::value_error("mode must be \"reply\", \"reply_all\" or \"forward\"");
        mime::ReplyOptions options;
        options.mode = *parsed_mode;
        if (sender) options.from = to_mailbox(*sender);
        options.own_addresses = own_addresses;
        options.to = to_mailboxes(to);
        options.quote = quote;
        options.inline_forward = inline_forward;
        return written([&] {
          const mime::ReplyDraft draft = mime::draft_reply(*original, options);
          mime::MessageSpec spec =
              mime::reply_spec(*original, draft, options, std::move(text), std::move(html));
          spec.date = std::move(date);
          spec.message_id = std::move(message_id);
          return mime::build_message(spec);
        });
      },
      py::arg("original"), py::arg("mode"), py::arg("sender") = py::none(),
      py::arg("own_addresses") = std::vector<std::string>{},
      py::arg("to") = std::vector<MailboxArg>{}, py::arg("quote") = true,
      py::arg("inline_forward") = true, py::arg("text") = py::none(),
      py::arg("html") = py::none(), py::arg("date") = py::none(),
      py::arg("message_id") = py::none(),
      "Builds a reply, reply-all or forward of a parsed message (RFC 5322 §3.6.3, §3.6.4) "
      "and returns its bytes.");

  mime_.def(
      "build_mdn",
      [](py::handle original, const std::string& final_recipient, const std::string& to,
         const std::string& disposition_type, bool automatic_action, bool sent_automatically,
         const std::vector<std::string>& modifiers, const std::string& reporting_ua,
         const std::string& text, const std::string& include, std::optional<std::string> date,
         std::optional<std::string> message_id) {
        ByteArg bytes(original, "build_mdn", "original", false);
        mime::MdnSpec spec;
        spec.original = std::string(bytes.view());
        spec.final_recipient = final_recipient;
        spec.to = to;
        spec.disposition_type = disposition_type;
        spec.automatic_action = automatic_action;
        spec.sent_automatically = sent_automatically;
        spec.modifiers = modifiers;
        spec.reporting_ua = reporting_ua;
        spec.text = text;
        spec.include = include;
        spec.date = std::move(date);
        spec.message_id = std::move(message_id);
        return written([&] { return mime::build_mdn(spec); });
      },
      py::arg("original"), py::arg("final_recipient"), py::arg("to") = "",
      py::arg("disposition_type") = "displayed", py::arg("automatic_action") = false,
      py::arg("sent_automatically") = false, py::arg("modifiers") = std::vector<std::string>{},
      py::arg("reporting_ua") = "mailroom", py::arg("text") = "", py::arg("include") = "headers",
      py::arg("date") = py::none(), py::arg("message_id") = py::none(),
      "Builds a read receipt (RFC 8098 multipart/report; report-type=disposition-notification) "
      "answering `original` and returns its bytes.");

  mime_.def(
      "without_bcc",
      [](py::handle message) {
        ByteArg bytes(message, "without_bcc", "message", false);
        return written([&] { return mime::without_bcc(bytes.view()); });
      },
      py::arg("message"),
      "The message with its Bcc header fields removed (folded lines too); the rest kept byte "
      "for byte.");
  mime_.def("format_date_now", &mime::format_date_now, "The current time as an RFC 5322 date.");
  mime_.def("make_message_id", &mime::make_message_id, py::arg("domain"),
        "A new unique Message-ID, \"<unique@domain>\".");
}

}  // namespace mailroom::bindings
