// The IMAP side of mailroom._core.server.SmtpServer (the native class of
// mailroom.Server): configure_imap() adds the IMAP listeners and their
// settings, after the constructor and configure_security() (which decide the
// TLS, the users and the limits IMAP shares with SMTP and POP3).
#include <pybind11/pybind11.h>

#include <cmath>

#include "mailroom/engine/imap_reply_rules.hpp"
#include "mailroom/engine/server.hpp"
#include "register.hpp"

namespace py = pybind11;

namespace mailroom::bindings {

void register_imap(py::module_& m) {
  using engine::Server;
  auto server = py::reinterpret_borrow<py::class_<Server>>(m.attr("server").attr("SmtpServer"));
  server
      .def(
          "configure_imap",
          [](Server& s, int imap_port, int imaps_port, double autologout) {
            if (!(autologout >= 0.001))
              throw py::value_error("imap_autologout must be at least 0.001 seconds");
            engine::ServerOptions& o = s.options_before_start();
            std::erase_if(o.listeners, [](const engine::ListenerOptions& l) {
              return l.protocol == engine::Protocol::Imap;
            });
            // RFC 8314: 143 with STARTTLS (when there is TLS), 993 implicit TLS.
            const auto starttls = o.tls ? net::TlsMode::StartTls : net::TlsMode::None;
            if (imap_port != -1)
              o.listeners.push_back({"imap", engine::Protocol::Imap, starttls, "", imap_port});
            if (imaps_port != -1)
              o.listeners.push_back(
                  {"imaps", engine::Protocol::Imap, net::TlsMode::Implicit, "", imaps_port});
            o.imap.hostname = o.smtp.hostname;
            o.imap.max_literal = o.smtp.max_message_size;
            o.imap.max_errors = o.pop3.max_errors;
            o.imap.auth_failure_delay_ms = o.pop3.auth_failure_delay_ms;
            o.imap.max_transcript_bytes = o.pop3.max_transcript_bytes;
            o.imap.autologout =
                std::chrono::milliseconds(static_cast<long long>(std::ceil(autologout * 1000.0)));
            s.check_options();
          },
          py::arg("imap_port") = -1, py::arg("imaps_port") = -1, py::arg("autologout") = 1800.0)
      .def(
          "add_imap_reply",
          [](Server& s, std::string status, std::string text, std::string command, double delay,
             bool disconnect, int times) {
            engine::ImapReplyRule r;
            r.command = std::move(command);
            r.reply.status = std::move(status);
            r.reply.text = std::move(text);
            r.reply.delay_ms = static_cast<std::uint32_t>(std::lround(std::max(0.0, delay) * 1000));
            r.reply.disconnect = disconnect;
            r.times = times;
            return s.imap_rules().add(std::move(r));
          },
          py::arg("status"), py::arg("text"), py::arg("command"), py::arg("delay"),
          py::arg("disconnect"), py::arg("times"))
      .def(
          "remove_imap_reply", [](Server& s, std::uint64_t id) { return s.imap_rules().remove(id); },
          py::arg("id"))
      .def("clear_imap_replies", [](Server& s) { s.imap_rules().clear(); })
      .def_property_readonly("imap_port", &Server::imap_port)
      .def_property_readonly("imaps_port", &Server::imaps_port);
}

}  // namespace mailroom::bindings
