// mailroom._core.server: SmtpServer, the native server for mailroom.Server, and
// what it hands out (StoredCopy, SessionRecord, ReplyRule).
#include <pybind11/functional.h>
#include <pybind11/stl.h>

#include <chrono>
#include <cmath>
#include <map>
#include <memory>
#include <optional>
#include <system_error>

#include "mailroom/engine/server.hpp"
#include "py_callable.hpp"
#include "register.hpp"
#include "stored_message.hpp"

namespace py = pybind11;

namespace mailroom::bindings {

namespace {

using engine::ReplyRule;
using engine::Server;
using engine::ServerOptions;

// A stored copy with its bytes and envelope, read without the GIL.
struct StoredCopy {
  store::MessagePtr message;
  std::shared_ptr<const std::string> data;
  std::shared_ptr<const store::Envelope> envelope;
};

std::vector<StoredCopy> read_copies(const store::MailStore& st, const std::vector<store::MessagePtr>& msgs) {
  std::vector<StoredCopy> out;
  out.reserve(msgs.size());
  for (const auto& m : msgs) {
    StoredCopy c{m, nullptr, m->envelope};
    try {
      c.data = st.read(*m);
    } catch (const store::NoSuchMessage&) {
      continue;  // expunged since the list was taken
    }
    if (!c.envelope) c.envelope = store::envelope_from_headers(*c.data, m->account(), m->internal_date);
    out.push_back(std::move(c));
  }
  return out;
}

ReplyRule::Stage parse_stage(const std::string& s) {
  if (auto stage = engine::stage_named(s)) return *stage;
  throw py::value_error("stage must be 'mail', 'rcpt', 'data' or 'auth', not '" + s + "'");
}

}  // namespace

void register_server(py::module_& m) {
  py::module_ server = m.def_submodule("server");
  py::class_<StoredCopy>(server, "StoredCopy",
                         "A copy stored in an INBOX, with its bytes and SMTP envelope")
      .def_property_readonly(
          "message", [](const StoredCopy& c) { return stored_message(c.message); },
          "Its record in the INBOX (a mailroom._core.store.StoredMessage)")
      .def_property_readonly(
          "arrival", [](const StoredCopy& c) { return c.message->arrival; },
          "Order of arrival over every INBOX, from 1")
      .def_property_readonly("account", [](const StoredCopy& c) { return c.message->account(); })
      .def_property_readonly(
          "data", [](const StoredCopy& c) { return py::bytes(*c.data); }, "The message as stored")
      .def_property_readonly(
          "envelope", [](const StoredCopy& c) { return *c.envelope; },
          "The SMTP envelope (for a message found on disk: from its Return-Path)")
      .def_property_readonly(
          "transaction",
          [](const StoredCopy& c) { return reinterpret_cast<std::uintptr_t>(c.envelope.get()); },
          "The same number for every copy of one SMTP transaction");
  using engine::SessionRecord;
  py::class_<SessionRecord>(server, "SessionRecord", "One SMTP or POP3 session")
      .def_readonly("id", &SessionRecord::id)
      .def_readonly("protocol", &SessionRecord::protocol, "\"smtp\" or \"pop3\"")
      .def_readonly("peer", &SessionRecord::peer)
      .def_readonly("transcript", &SessionRecord::transcript)
      .def_readonly("truncated", &SessionRecord::truncated, "The transcript reached its limit")
      .def_readonly("started_at", &SessionRecord::started_at, "Seconds since the epoch")
      .def_readonly("ended_at", &SessionRecord::ended_at, "Seconds since the epoch; 0 while running")
      .def_readonly("messages", &SessionRecord::messages);
  py::class_<ReplyRule>(server, "ReplyRule", "A reply the server gives on purpose")
      .def_readonly("id", &ReplyRule::id)
      .def_property_readonly(
          "stage", [](const ReplyRule& r) { return engine::stage_name(r.stage); }, "\"mail\", \"rcpt\" or \"data\"")
      .def_readonly("sender", &ReplyRule::sender)
      .def_readonly("recipient", &ReplyRule::recipient)
      .def_readonly("code", &ReplyRule::code, "0: no reply of its own")
      .def_readonly("enhanced", &ReplyRule::enhanced)
      .def_readonly("text", &ReplyRule::text)
      .def_readonly("delay_ms", &ReplyRule::delay_ms)
      .def_readonly("disconnect", &ReplyRule::disconnect)
      .def_readonly("close", &ReplyRule::close)
      .def_readonly("times", &ReplyRule::times, "How many more times it fires; -1 always");

  py::class_<Server>(server, "SmtpServer")
      .def(py::init([](std::string host, int smtp_port, std::string maildir,
                       std::vector<std::string> domains, std::string hostname,
                       std::size_t max_message_size, std::size_t max_recipients,
                       std::size_t max_line_length, bool reject_long_lines, unsigned max_errors,
                       std::size_t max_connections, double idle_timeout, unsigned threads,
                       std::size_t max_transcript_bytes, std::size_t max_transcripts,
                       bool smtputf8, bool chunking, bool pipelining, bool eightbitmime,
                       bool vrfy, int pop3_port,
                       std::optional<std::map<std::string, std::string>> users, bool apop,
                       double auth_failure_delay, std::size_t max_stored_messages,
                       std::uint64_t max_stored_bytes, std::string postmaster, bool dsn,
                       long long max_connections_per_ip, double stress_idle_timeout,
                       std::size_t min_data_rate) {
             if (max_message_size == 0) throw py::value_error("max_message_size must be positive");
             if (max_recipients == 0) throw py::value_error("max_recipients must be positive");
             if (max_line_length < 80) throw py::value_error("max_line_length must be at least 80");
             ServerOptions o;
             o.host = std::move(host);
             o.listeners = {{"smtp", engine::Protocol::Smtp, net::TlsMode::None, "", smtp_port}};
             if (pop3_port != -1)
               o.listeners.push_back({"pop3", engine::Protocol::Pop3, net::TlsMode::None, "", pop3_port});
             o.maildir = std::move(maildir);
             o.domains = std::move(domains);
             if (!hostname.empty()) o.smtp.hostname = std::move(hostname);
             o.smtp.max_message_size = max_message_size;
             o.smtp.max_recipients = max_recipients;
             o.smtp.max_text_line = max_line_length;
             o.smtp.reject_long_lines = reject_long_lines;
             o.smtp.max_errors = max_errors;
             o.smtp.smtputf8 = smtputf8;
             o.smtp.chunking = chunking;
             o.smtp.binarymime = chunking;
             o.smtp.pipelining = pipelining;
             o.smtp.eightbitmime = eightbitmime;
             o.smtp.vrfy = vrfy;
             o.smtp.dsn = dsn;
             o.smtp.max_transcript_bytes = max_transcript_bytes;
             o.max_connections = max_connections;
             if (max_connections_per_ip >= 0)
               o.max_connections_per_ip = static_cast<std::size_t>(max_connections_per_ip);
             o.stress_idle_timeout = std::chrono::milliseconds(
                 static_cast<long long>(std::max(0.0, stress_idle_timeout) * 1000.0));
             // Checked by Server::check_options(): a positive time, at least 1 ms.
             o.idle_timeout =
                 std::chrono::milliseconds(static_cast<long long>(std::ceil(idle_timeout * 1000.0)));
             o.min_data_rate = min_data_rate;
             o.threads = threads;
             o.max_transcripts = max_transcripts;
             o.max_stored_messages = max_stored_messages;
             o.max_stored_bytes = max_stored_bytes;
             o.postmaster = std::move(postmaster);
             o.users = std::move(users);
             o.pop3.hostname = o.smtp.hostname;
             o.pop3.apop = apop;
             o.pop3.expire = "NEVER";
             o.pop3.auth_failure_delay_ms = static_cast<std::uint32_t>(std::max(0.0, auth_failure_delay) * 1000);
             o.pop3.max_transcript_bytes = max_transcript_bytes;
             o.pop3.max_errors = max_errors;
             return std::make_unique<Server>(std::move(o));
           }),
           py::arg("host"), py::arg("smtp_port"), py::arg("maildir"), py::arg("domains"),
           py::arg("hostname"), py::arg("max_message_size"), py::arg("max_recipients"),
           py::arg("max_line_length"), py::arg("reject_long_lines"), py::arg("max_errors"),
           py::arg("max_connections"), py::arg("idle_timeout"), py::arg("threads"),
           py::arg("max_transcript_bytes"), py::arg("max_transcripts"), py::arg("smtputf8"),
           py::arg("chunking"), py::arg("pipelining"), py::arg("eightbitmime"), py::arg("vrfy"),
           py::arg("pop3_port") = -1, py::arg("users") = py::none(), py::arg("apop") = false,
           py::arg("auth_failure_delay") = 0.5, py::arg("max_stored_messages") = 1'000'000,
           py::arg("max_stored_bytes") = std::uint64_t{4} << 30, py::arg("postmaster") = "",
           py::arg("dsn") = true, py::arg("max_connections_per_ip") = -1,
           py::arg("stress_idle_timeout") = 10.0, py::arg("min_data_rate") = 500)
      // TLS and logins, set after construction and before start().
      .def("configure_security",
           [](Server& s, std::string tls_cert, std::string tls_key, bool tls_auto,
              double handshake_timeout, int smtps_port, int submission_port, int pop3s_port,
              std::optional<bool> allow_plaintext_auth, bool auth_required, bool require_tls,
              py::object password_check) {
             ServerOptions& o = s.options_before_start();
             const bool tls = tls_auto || !tls_cert.empty();
             // The listeners, in the order of the ports: smtp, submission,
             // smtps, pop3, pop3s. Server::check_options() checks them.
             using engine::ListenerOptions;
             using engine::Protocol;
             const auto starttls = tls ? net::TlsMode::StartTls : net::TlsMode::None;
             std::vector<ListenerOptions> listeners;
             std::optional<ListenerOptions> pop3;
             for (auto& l : o.listeners) {
               if (l.name == "smtp") listeners.push_back(l);
               if (l.name == "pop3") pop3 = l;
             }
             for (auto& l : listeners) l.tls = starttls;
             if (submission_port != -1)
               listeners.push_back({"submission", Protocol::Smtp, starttls, "", submission_port, true});
             if (smtps_port != -1)
               listeners.push_back({"smtps", Protocol::Smtp, net::TlsMode::Implicit, "", smtps_port});
             if (pop3) {
               pop3->tls = starttls;
               listeners.push_back(*pop3);
             }
             if (pop3s_port != -1)
               listeners.push_back({"pop3s", Protocol::Pop3, net::TlsMode::Implicit, "", pop3s_port});
             o.listeners = std::move(listeners);
             if (tls) {
               engine::TlsOptions t;
               t.throwaway = tls_auto;
               t.cert_file = std::move(tls_cert);
               t.key_file = std::move(tls_key);
               t.handshake_timeout = std::chrono::milliseconds(
                   static_cast<long long>(std::ceil(handshake_timeout * 1000.0)));
               o.tls = std::move(t);
             } else {
               o.tls.reset();
             }
             o.allow_plaintext_auth = allow_plaintext_auth;
             o.smtp.auth_required = auth_required;
             o.smtp.require_tls = require_tls;
             o.smtp.auth_failure_delay_ms = o.pop3.auth_failure_delay_ms;
             s.check_options();
             if (password_check.is_none()) {
               o.password_check = nullptr;
               return;
             }
             if (!PyCallable_Check(password_check.ptr()))
               throw py::type_error("users must be a dict of address -> password or a callable");
             auto holder = std::make_shared<PyCallable>(std::move(password_check));
             o.password_check = [holder](const std::string& user, const std::string& password) {
               // Runs on a server thread: take the GIL only for the call.
               py::gil_scoped_acquire gil;
               try {
                 return py::bool_(holder->fn(py::str(user), py::str(password))).cast<bool>();
               } catch (py::error_already_set& e) {
                 e.discard_as_unraisable("mailroom.Server users callable");
                 throw std::runtime_error("password check failed");
               }
             };
           },
           py::arg("tls_cert") = "", py::arg("tls_key") = "", py::arg("tls_auto") = false,
           py::arg("tls_handshake_timeout") = 10.0, py::arg("smtps_port") = -1,
           py::arg("submission_port") = -1, py::arg("pop3s_port") = -1,
           py::arg("allow_plaintext_auth") = py::none(), py::arg("auth_required") = false,
           py::arg("require_tls") = false, py::arg("password_check") = py::none())
      .def_property_readonly("smtps_port", &Server::smtps_port)
      .def_property_readonly("submission_port", &Server::submission_port)
      .def_property_readonly("pop3s_port", &Server::pop3s_port)
      .def_property_readonly("tls_ca_pem", &Server::tls_ca_pem)
      .def_property_readonly("tls_certificate_pem", &Server::tls_certificate_pem)
      .def("start", &Server::start, py::call_guard<py::gil_scoped_release>())
      .def("stop", &Server::stop, py::call_guard<py::gil_scoped_release>())
      .def_property_readonly("running", &Server::running)
      .def_property_readonly("host", &Server::host)
      .def_property_readonly("smtp_port", &Server::smtp_port)
      .def_property_readonly("pop3_port", &Server::pop3_port)
      .def_property_readonly("hostname", [](const Server& s) { return s.options().smtp.hostname; })
      .def_property_readonly("active_connections", &Server::active_connections)
      .def("messages",
           [](Server& s, std::uint64_t after) {
             std::vector<StoredCopy> copies;
             {
               py::gil_scoped_release nogil;
               copies = read_copies(s.store(), s.store().since(after));
             }
             return copies;
           },
           py::arg("after") = 0)
      .def("mailbox",
           [](Server& s, const std::string& address) {
             std::vector<StoredCopy> copies;
             {
               py::gil_scoped_release nogil;
               copies = read_copies(s.store(), s.store().inbox(address));
             }
             return copies;
           },
           py::arg("address"))
      .def_property_readonly(
          "store", [](Server& s) -> store::MailStore& { return s.store(); },
          py::return_value_policy::reference_internal)  // mailroom._core.store.MailStore
      .def("last_seq", [](Server& s) { return s.store().last_seq(); })
      .def("count", [](Server& s) { return s.store().count(); })
      .def_property_readonly("postmaster", &Server::postmaster_account)
      .def_property_readonly("stale_tmp_removed",
                             [](Server& s) { return s.store().stale_tmp_removed(); })
      .def("clear", [](Server& s) { s.store().clear(); }, py::call_guard<py::gil_scoped_release>())
      .def("wait_after",
           [](Server& s, std::uint64_t after, double timeout) {
             auto ms = std::chrono::milliseconds(static_cast<long long>(std::max(0.0, timeout) * 1000.0));
             py::gil_scoped_release nogil;
             return s.store().wait_after(after, ms);
           },
           py::arg("after"), py::arg("timeout"),
           "Block (without the GIL) until a message with seq > after is stored or the timeout passes.")
      .def("wake_waiters", [](Server& s) { s.store().wake_all(); })
      .def("sessions", &Server::sessions)
      .def("clear_sessions", &Server::clear_sessions)
      .def("add_rule",
           [](Server& s, const std::string& stage, std::string sender, std::string recipient, int code,
              std::string enhanced, std::string text, std::uint32_t delay_ms, bool disconnect,
              bool close, int times) {
             ReplyRule r;  // checked by ReplyRules::add (std::invalid_argument: ValueError)
             r.stage = parse_stage(stage);
             r.sender = std::move(sender);
             r.recipient = std::move(recipient);
             r.code = code;
             r.enhanced = std::move(enhanced);
             r.text = std::move(text);
             r.delay_ms = delay_ms;
             r.disconnect = disconnect;
             r.close = close;
             r.times = times;
             return s.rules().add(std::move(r));
           },
           py::arg("stage"), py::arg("sender"), py::arg("recipient"), py::arg("code"),
           py::arg("enhanced"), py::arg("text"), py::arg("delay_ms"), py::arg("disconnect"),
           py::arg("close"), py::arg("times"))
      .def("remove_rule", [](Server& s, std::uint64_t id) { return s.rules().remove(id); }, py::arg("id"))
      .def("clear_rules", [](Server& s) { s.rules().clear(); })
      .def("rules", [](Server& s) { return s.rules().list(); })
      .def("set_message_hook", [](Server& s, py::object fn) {
        if (fn.is_none()) {
          s.set_message_hook(nullptr);
          return;
        }
        if (!PyCallable_Check(fn.ptr())) throw py::type_error("the message hook must be callable");
        auto holder = std::make_shared<PyCallable>(std::move(fn));
        s.set_message_hook([holder](const std::string& data, const store::Envelope& env) {
          // Runs on a server thread: take the GIL only for the call.
          py::gil_scoped_acquire gil;
          try {
            py::object result = holder->fn(py::bytes(data), env);
            smtp::Decision d;
            if (!result.is_none()) {
              // (code, text) refuses the message with that reply.
              auto t = result.cast<py::tuple>();
              int code = t[0].cast<int>();
              std::string text = t.size() > 1 ? t[1].cast<std::string>() : "Refused";
              std::string enh = std::to_string(code / 100) + ".0.0";
              d = code >= 400 ? smtp::Decision::reject(code, enh, text) : smtp::Decision{};
            }
            return d;
          } catch (py::error_already_set& e) {
            // Report it like an exception in a thread: sys.unraisablehook.
            e.discard_as_unraisable("mailroom.Server message hook");
            throw std::runtime_error("hook failed");
          } catch (const py::cast_error&) {
            PyErr_SetString(PyExc_TypeError,
                            "a message hook returns None or (code, text)");
            PyErr_WriteUnraisable(holder->fn.ptr());
            throw std::runtime_error("hook failed");
          }
        });
      }, py::arg("hook"));
}

}  // namespace mailroom::bindings
