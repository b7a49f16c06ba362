// mailroom._core.imap: the native IMAP client behind mailroom.IMAPClient, its
// typed responses and its failures. Network waits release the GIL.
#include <pybind11/stl.h>

#include <optional>
#include <string>
#include <vector>

#include "client_options.hpp"
#include "mailroom/mime/message_batch.hpp"
#include "mailroom/net/imap_client.hpp"
#include "register.hpp"
#include "text_values.hpp"

namespace py = pybind11;

namespace mailroom::bindings {

namespace {

using net::ImapClient;

py::list str_list(const std::vector<std::string>& words) {
  py::list out;
  for (const auto& w : words) out.append(utf8_str(w));
  return out;
}

// A message a UID FETCH brought: its FETCH data (the body moved out) and the
// body parsed.
struct FetchedMessage {
  imap::FetchData data;
  std::shared_ptr<mime::ParsedMessage> message;
};

imap::Arg argument(const std::string& kind, const std::string& value) {
  if (kind == "raw") return imap::Arg::raw(value);
  if (kind == "string") return imap::Arg::astring(value);
  if (kind == "literal") return imap::Arg::literal(value);
  if (kind == "mailbox") return imap::Arg::mailbox(value);
  throw py::value_error("an argument kind is 'raw', 'string', 'literal' or 'mailbox', not '" + kind + "'");
}

}  // namespace

void register_imap_client(py::module_& m) {
  py::module_ imap_ = m.attr("imap");

  py::class_<imap::ResponseCode>(imap_, "ResponseCode", "A response code: [NAME argument]")
      .def_property_readonly("name", [](const imap::ResponseCode& c) { return utf8_str(c.name); })
      .def_property_readonly("argument",
                             [](const imap::ResponseCode& c) { return utf8_str(c.argument); });

  py::class_<imap::FetchData>(imap_, "FetchData", "One message's FETCH data (RFC 9051 §7.5.2)")
      .def_readonly("seq", &imap::FetchData::seq)
      .def_readonly("uid", &imap::FetchData::uid, "0 when the server did not send it")
      .def_property_readonly("flags",
                             [](const imap::FetchData& f) -> std::optional<py::list> {
                               if (!f.has_flags) return std::nullopt;
                               return str_list(f.flags);
                             })
      .def_property_readonly("internal_date",
                             [](const imap::FetchData& f) -> std::optional<std::int64_t> {
                               if (!f.has_internal_date) return std::nullopt;
                               return f.internal_date;
                             }, "Seconds since the epoch, or None")
      .def_readonly("size", &imap::FetchData::size, "RFC822.SIZE (0 when not sent)")
      .def_readonly("modseq", &imap::FetchData::modseq, "MODSEQ (0 when not sent)")
      .def_property_readonly("body", [](const imap::FetchData& f) -> std::optional<py::bytes> {
        if (!f.has_body) return std::nullopt;
        return py::bytes(f.body);
      });

  py::class_<FetchedMessage>(imap_, "FetchedMessage",
                             "A fetched message: its FETCH data and the body, parsed")
      .def_property_readonly("data", [](const FetchedMessage& f) { return f.data; })
      .def_readonly("message", &FetchedMessage::message);

  py::class_<imap::ListEntry>(imap_, "ListEntry", "A LIST response (RFC 9051 §7.3.1)")
      .def_property_readonly("attributes",
                             [](const imap::ListEntry& l) { return str_list(l.attributes); })
      .def_property_readonly("delimiter",
                             [](const imap::ListEntry& l) { return utf8_str(l.delimiter); })
      .def_property_readonly("name", [](const imap::ListEntry& l) { return utf8_str(l.name); });

  py::class_<imap::Untagged>(imap_, "Untagged", "An untagged response (RFC 9051 §7)")
      .def_property_readonly("kind", [](const imap::Untagged& u) { return imap::to_string(u.kind); })
      .def_readonly("number", &imap::Untagged::number)
      .def_readonly("code", &imap::Untagged::code)
      .def_property_readonly("text", [](const imap::Untagged& u) { return utf8_str(u.text); })
      .def_property_readonly("words", [](const imap::Untagged& u) { return str_list(u.words); })
      .def_readonly("numbers", &imap::Untagged::numbers)
      .def_readonly("modseq", &imap::Untagged::modseq)
      .def_readonly("earlier", &imap::Untagged::earlier)
      .def_readonly("list", &imap::Untagged::list)
      .def_property_readonly("mailbox", [](const imap::Untagged& u) { return utf8_str(u.mailbox); })
      .def_property_readonly("status",
                             [](const imap::Untagged& u) {
                               py::dict d;
                               for (const auto& [k, v] : u.status) d[utf8_str(k)] = v;
                               return d;
                             })
      .def_readonly("fetch", &imap::Untagged::fetch);

  py::class_<imap::Completion>(imap_, "Completion",
                               "A command's tagged status and the untagged responses it got")
      .def_readonly("id", &imap::Completion::id)
      .def_readonly("command", &imap::Completion::command)
      .def_property_readonly("status",
                             [](const imap::Completion& c) { return imap::to_string(c.status); })
      .def_readonly("code", &imap::Completion::code)
      .def_property_readonly("text", [](const imap::Completion& c) { return utf8_str(c.text); })
      .def_readonly("untagged", &imap::Completion::untagged);

  // The session ended: .kind "Timeout", "ConnectionLost", "Protocol"...
  static py::exception<net::ImapSessionError> imap_failure(imap_, "ImapSessionFailure",
                                                           PyExc_ConnectionError);
  static py::exception<imap::PlaintextAuthRefused> plaintext_refused(imap_,
                                                                     "PlaintextAuthRefused");
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const net::ImapSessionError& e) {
      raise_failure(imap_failure, e.what(), {{"kind", py::str(imap::to_string(e.kind))}});
    } catch (const imap::PlaintextAuthRefused& e) {
      PyErr_SetString(plaintext_refused.ptr(), e.what());
    }
  });

  py::class_<ImapClient> client(imap_, "ImapClient");
  client
      .def(py::init([](std::string host, int port, double timeout, double connect_timeout,
                       std::size_t max_transcript_bytes, std::size_t max_literal,
                       std::size_t max_line, std::size_t max_in_flight,
                       std::optional<std::string> tls, bool verify,
                       std::optional<std::string> cafile, std::optional<std::string> ca_pem,
                       std::optional<std::string> server_hostname,
                       std::optional<bool> allow_plaintext_auth) {
             if (port <= 0 || port > 65535)
               throw py::value_error("port must be in 1..65535, not " + std::to_string(port));
             if (!(timeout > 0) || !(connect_timeout > 0))
               throw py::value_error("timeouts must be positive");
             if (max_literal == 0 || max_line < 64 || max_in_flight == 0)
               throw py::value_error("max_literal and max_in_flight must be positive, "
                                     "max_line at least 64");
             net::ImapClientOptions o;
             o.host = std::move(host);
             o.port = static_cast<std::uint16_t>(port);
             o.connect_timeout = ms(connect_timeout);
             o.session.greeting_timeout = o.session.response_timeout = ms(timeout);
             o.session.max_transcript_bytes = max_transcript_bytes;
             o.session.max_literal = max_literal;
             o.session.max_response = std::max(o.session.max_response, max_literal + max_line);
             o.session.max_line = max_line;
             o.session.max_in_flight = max_in_flight;
             o.tls = parse_tls_mode(tls);
             o.tls_options = tls_options(o.tls, verify, std::move(cafile), std::move(ca_pem),
                                         std::move(server_hostname));
             o.allow_plaintext_auth = allow_plaintext_auth;
             return std::make_unique<ImapClient>(std::move(o));
           }),
           py::arg("host"), py::arg("port"), py::arg("timeout"), py::arg("connect_timeout"),
           py::arg("max_transcript_bytes"), py::arg("max_literal"), py::arg("max_line"),
           py::arg("max_in_flight"), py::arg("tls") = py::none(), py::arg("verify") = true,
           py::arg("cafile") = py::none(), py::arg("ca_pem") = py::none(),
           py::arg("server_hostname") = py::none(), py::arg("allow_plaintext_auth") = py::none())
      .def("connect", &ImapClient::connect, py::call_guard<py::gil_scoped_release>())
      .def(
          "command",
          [](ImapClient& c, const std::string& name,
             const std::vector<std::pair<std::string, py::bytes>>& args) {
            std::vector<imap::Arg> a;
            a.reserve(args.size());
            for (const auto& [kind, value] : args) a.push_back(argument(kind, std::string(value)));
            try {
              return c.session().command(name, a);
            } catch (const std::invalid_argument& e) {
              throw py::value_error(e.what());
            }
          },
          py::arg("name"), py::arg("args") = std::vector<std::pair<std::string, py::bytes>>{},
          "Queues a command; args are (kind, value): 'raw', 'string', 'literal' or 'mailbox'")
      .def(
          "login",
          [](ImapClient& c, const std::string& user, const std::string& password) {
            try {
              return c.session().login(user, password);
            } catch (const std::invalid_argument& e) {
              throw py::value_error(e.what());
            }
          },
          py::arg("user"), py::arg("password"))
      .def(
          "authenticate_plain",
          [](ImapClient& c, const std::string& user, const std::string& password) {
            try {
              return c.session().authenticate_plain(user, password);
            } catch (const std::invalid_argument& e) {
              throw py::value_error(e.what());
            }
          },
          py::arg("user"), py::arg("password"))
      .def("wait", &ImapClient::wait, py::arg("id"), py::call_guard<py::gil_scoped_release>())
      .def(
          "queue_uid_fetch",
          [](ImapClient& c, const std::vector<std::uint32_t>& uids, const std::string& items,
             std::size_t batch) {
            try {
              return c.queue_uid_fetch(uids, items, batch);
            } catch (const std::invalid_argument& e) {
              throw py::value_error(e.what());
            }
          },
          py::arg("uids"), py::arg("items"), py::arg("batch"),
          "UID FETCH in batches, queued at once (pipelined); the ids in order")
      .def(
          "wait_messages",
          [](ImapClient& c, std::uint64_t id, unsigned threads) {
            // The FETCH responses' bodies parsed on native threads (the
            // archive readers' batch parser), the GIL released throughout.
            imap::Completion done;
            std::vector<FetchedMessage> out;
            {
              py::gil_scoped_release nogil;
              done = c.wait(id);
              std::vector<std::string> bodies;
              std::vector<imap::Untagged> rest;
              for (auto& u : done.untagged) {
                if (u.kind == imap::UntaggedKind::Fetch && u.fetch.has_body) {
                  bodies.push_back(std::move(u.fetch.body));
                  u.fetch.body.clear();
                  out.push_back({std::move(u.fetch), nullptr});
                } else {
                  rest.push_back(std::move(u));
                }
              }
              done.untagged = std::move(rest);
              auto parsed = mime::parse_messages(std::move(bodies), mime::Limits{}, threads);
              for (std::size_t i = 0; i < out.size(); ++i) out[i].message = std::move(parsed[i]);
            }
            return py::make_tuple(std::move(done), std::move(out));
          },
          py::arg("id"), py::arg("threads") = 0,
          "Waits for a UID FETCH; (its completion without the bodies, the messages parsed)")
      .def("idle_start", &ImapClient::idle_start, py::call_guard<py::gil_scoped_release>())
      .def(
          "idle_next",
          [](ImapClient& c, double timeout) {
            py::gil_scoped_release nogil;
            return c.idle_next(ms(timeout));
          },
          py::arg("timeout"))
      .def("idle_stop", &ImapClient::idle_stop, py::call_guard<py::gil_scoped_release>())
      .def("compress", &ImapClient::compress, py::call_guard<py::gil_scoped_release>(),
           "COMPRESS DEFLATE (RFC 4978); on OK both ways are compressed from then on")
      .def_property_readonly("compressing", &ImapClient::compressing)
      .def_property_readonly(
          "peer_is_loopback", [](const ImapClient& c) { return c.connection().peer_is_loopback(); },
          "The server is on this host (127.0.0.0/8, ::1)")
      .def("close", &ImapClient::close, py::call_guard<py::gil_scoped_release>())
      .def_property_readonly("connected", &ImapClient::connected)
      .def_property_readonly("capabilities",
                             [](const ImapClient& c) { return str_list(c.session().capabilities()); })
      .def(
          "has_capability",
          [](const ImapClient& c, const std::string& name) {
            return c.session().has_capability(name);
          },
          py::arg("name"))
      .def_property_readonly("greeting",
                             [](const ImapClient& c) { return utf8_str(c.session().greeting()); })
      .def_property_readonly("preauthenticated",
                             [](const ImapClient& c) { return c.session().preauthenticated(); })
      .def_property_readonly("transcript",
                             [](const ImapClient& c) { return utf8_str(c.session().transcript()); })
      .def_property_readonly("credentials_allowed",
                             [](const ImapClient& c) { return c.session().credentials_allowed(); })
      .def_property_readonly("dropped_before_tls",
                             [](const ImapClient& c) { return c.session().dropped_before_tls(); });
  def_tls_properties(client);
}

}  // namespace mailroom::bindings
