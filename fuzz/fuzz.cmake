# fuzz/fuzz.cmake: one target per fuzz/fuzz_NAME.c. Each is built as
# replay_NAME with fuzz/replay_main.c (any compiler) and registered as the
# test fuzz.NAME, which feeds it every input of fuzz/corpus/NAME: `make
# test` replays the committed corpora on every build. With -DSL_FUZZ=ON and
# clang, each is also built as fuzz_NAME, a libFuzzer program (-fsanitize=
# fuzzer,address,undefined); `make fuzz` configures such a build and runs
# every target for a set time (fuzz/run.sh).
option(SL_FUZZ "Build the libFuzzer programs (needs clang)" OFF)

file(GLOB SL_FUZZ_SOURCES CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/fuzz/fuzz_*.c)

# The command-line target compiles the CLI's parsers with exit() turned
# into a jump back to the harness (see fuzz/fuzz_cli.c).
set(SL_FUZZ_EXTRA_cli ${PROJECT_SOURCE_DIR}/src/cli/util.c
    ${PROJECT_SOURCE_DIR}/src/cli/relay_opts.c)
set(SL_FUZZ_DEFS_cli exit=fuzz_cli_exit)

if(SL_FUZZ AND NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
  message(WARNING "SL_FUZZ needs clang (libFuzzer); building the corpus replays only")
endif()

set(SL_FUZZ_PROGRAMS "")
foreach(src ${SL_FUZZ_SOURCES})
  get_filename_component(file ${src} NAME_WE)
  string(REGEX REPLACE "^fuzz_" "" name ${file})
  set(kinds replay)
  if(SL_FUZZ AND CMAKE_C_COMPILER_ID MATCHES "Clang")
    list(APPEND kinds fuzz)
  endif()
  foreach(kind ${kinds})
    if(kind STREQUAL "replay")
      add_executable(replay_${name} ${src} ${PROJECT_SOURCE_DIR}/fuzz/replay_main.c
                     ${SL_FUZZ_EXTRA_${name}})
    else()
      add_executable(fuzz_${name} ${src} ${SL_FUZZ_EXTRA_${name}})
      target_compile_options(fuzz_${name} PRIVATE -fsanitize=fuzzer,address,undefined
                             -fno-sanitize-recover=undefined)
      target_link_options(fuzz_${name} PRIVATE -fsanitize=fuzzer,address,undefined)
      list(APPEND SL_FUZZ_PROGRAMS fuzz_${name})
    endif()
    target_include_directories(${kind}_${name} PRIVATE ${PROJECT_SOURCE_DIR}/src
                               ${PROJECT_SOURCE_DIR}/fuzz)
    target_link_libraries(${kind}_${name} PRIVATE socklab)
    if(SL_FUZZ_DEFS_${name})
      target_compile_definitions(${kind}_${name} PRIVATE ${SL_FUZZ_DEFS_${name}})
    endif()
    set_target_properties(${kind}_${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY
                          ${PROJECT_BINARY_DIR}/fuzz)
  endforeach()
  if(BUILD_TESTING)
    add_test(NAME fuzz.${name} COMMAND replay_${name} ${PROJECT_SOURCE_DIR}/fuzz/corpus/${name})
    set_tests_properties(fuzz.${name} PROPERTIES TIMEOUT 300)
  endif()
endforeach()
if(SL_FUZZ_PROGRAMS)
  add_custom_target(sl_fuzz DEPENDS ${SL_FUZZ_PROGRAMS})
endif()
