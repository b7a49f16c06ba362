# libFuzzer target for the SMTP server state machine (clang only). Meant to be
# include()d from cpp/fuzz/CMakeLists.txt when -DMAILROOM_FUZZ=ON:
#   include(${CMAKE_CURRENT_LIST_DIR}/smtp.cmake)
# Run: ./fuzz_smtp_session -max_len=4096 -dict=cpp/fuzz/smtp.dict <work-dir> cpp/fuzz/corpus/smtp
if(NOT TARGET fuzz_smtp_session)
  # The code under test needs coverage instrumentation and the same sanitizers.
  target_compile_options(mailroom_core PRIVATE -fsanitize=fuzzer-no-link -g)
  if(NOT MAILROOM_SANITIZE)
    target_compile_options(mailroom_core PRIVATE -fsanitize=address,undefined
                                                 -fno-omit-frame-pointer)
    target_link_options(mailroom_core PUBLIC -fsanitize=address,undefined)
  endif()
  add_executable(fuzz_smtp_session ${CMAKE_CURRENT_LIST_DIR}/fuzz_smtp_session.cpp)
  target_link_libraries(fuzz_smtp_session PRIVATE mailroom_core)
  target_compile_features(fuzz_smtp_session PRIVATE cxx_std_20)
  target_compile_options(fuzz_smtp_session PRIVATE ${MAILROOM_WARNINGS} -g
                                                   -fsanitize=fuzzer,address,undefined)
  target_link_options(fuzz_smtp_session PRIVATE -fsanitize=fuzzer,address,undefined)
endif()
