#pragma once

#include <pybind11/pybind11.h>

namespace mailroom::bindings {

void register_codecs(pybind11::module_& m);   // register_codecs.cpp
void register_message(pybind11::module_& m);  // register_message.cpp
void register_builder(pybind11::module_& m);  // register_builder.cpp
void register_server(pybind11::module_& m);   // register_server.cpp
void register_clients(pybind11::module_& m);  // register_clients.cpp (smtp, pop3, net)
void register_imap_client(pybind11::module_& m);  // register_imap_client.cpp (after register_clients)
void register_queue(pybind11::module_& m);    // register_queue.cpp (after register_server)
void register_store(pybind11::module_& m);    // register_store.cpp (after register_clients)
void register_events(pybind11::module_& m);   // register_events.cpp (after register_store, register_queue)
void register_http(pybind11::module_& m);     // register_http.cpp (after register_server)
void register_archive(pybind11::module_& m);  // register_archive.cpp (after register_message)
void register_imap(pybind11::module_& m);     // register_imap.cpp (after register_server)

}  // namespace mailroom::bindings
