// The compiled module mailroom._core: one register_* call per area, each in
// its own file. This directory is the only code that includes pybind11.
#include <pybind11/pybind11.h>

#include <system_error>

#include "register.hpp"

#ifndef MAILROOM_VERSION
#define MAILROOM_VERSION "0+unknown"
#endif

namespace py = pybind11;

PYBIND11_MODULE(_core, m) {
  m.doc() = "mailroom's native engine";
  m.attr("__version__") = MAILROOM_VERSION;
  // One submodule per area (each registered in sys.modules, so
  // `import mailroom._core.mime` works); the register_* calls fill them.
  m.def_submodule("mime", "Messages: the MIME parser, the builder, codecs and header fields");
  m.def_submodule("store", "The mail store: accounts, folders, messages with UIDs and flags");
  m.def_submodule("server", "The SMTP and POP3 server");
  m.def_submodule("queue", "The outgoing mail queue's values");
  m.def_submodule("net", "Connection and TLS failures of the clients");
  m.def_submodule("smtp", "The SMTP client");
  m.def_submodule("pop3", "The POP3 client");
  m.def_submodule("imap", "The IMAP client: its session, typed responses and failures");
  m.def_submodule("events", "The server's event bus: event values and a queue of them");
  m.def_submodule("archive",
                  "Mail as data: mbox framing and writing, Maildir flags, batches parsed on "
                  "native threads, RFC 5256 threading and message tables");
  // std::system_error (a taken port, a Maildir that cannot be written) is an
  // OSError in Python, with its errno. Registered first, so it is tried last:
  // the areas' own translators (ConnectFailure, ...) come before it.
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const std::system_error& e) {
      py::object err = py::module_::import("builtins").attr("OSError")(e.code().value(), e.what());
      PyErr_SetObject(PyExc_OSError, err.ptr());
    }
  });
  // Values first, so the signatures of what returns them name them.
  mailroom::bindings::register_codecs(m);
  mailroom::bindings::register_message(m);
  mailroom::bindings::register_builder(m);
  mailroom::bindings::register_clients(m);
  mailroom::bindings::register_imap_client(m);
  mailroom::bindings::register_store(m);
  mailroom::bindings::register_server(m);
  mailroom::bindings::register_queue(m);
  mailroom::bindings::register_events(m);
  mailroom::bindings::register_http(m);
  mailroom::bindings::register_archive(m);
  mailroom::bindings::register_imap(m);
}
