// The compiled module mailroom._core: one register_* call per area, each in
// its own file. This directory is the only code that includes pybind11.
#include <pybind11/pybind11.h>

#include "register.hpp"

#ifndef MAILROOM_VERSION
#define MAILROOM_VERSION "0+unknown"
#endif

PYBIND11_MODULE(_core, m) {
  m.doc() = "mailroom's native engine";
  m.attr("__version__") = MAILROOM_VERSION;
  mailroom::bindings::register_codecs(m);
  mailroom::bindings::register_message(m);
  mailroom::bindings::register_builder(m);
  mailroom::bindings::register_server(m);
  mailroom::bindings::register_queue(m);
  mailroom::bindings::register_clients(m);
  mailroom::bindings::register_store(m);
  mailroom::bindings::register_events(m);
  mailroom::bindings::register_imap(m);
}
