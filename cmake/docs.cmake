# cmake/docs.cmake: man pages from man/*.scd (scdoc sources) into
# BUILD/man/NAME.SECTION, when scdoc is installed. BUILD/man/STATUS says
# "built" or why not, for the tests.
find_program(SL_SCDOC scdoc)
file(GLOB SL_MAN_SOURCES CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/man/*.scd)
set(SL_MAN_DIR ${PROJECT_BINARY_DIR}/man)
file(MAKE_DIRECTORY ${SL_MAN_DIR})
set(SL_MAN_PAGES "")
if(SL_SCDOC)
  foreach(src ${SL_MAN_SOURCES})
    get_filename_component(page ${src} NAME_WLE)      # socklab-wait.1
    set(out ${SL_MAN_DIR}/${page})
    add_custom_command(OUTPUT ${out}
      COMMAND sh -c "\"$0\" < \"$1\" > \"$2\"" ${SL_SCDOC} ${src} ${out}
      DEPENDS ${src}
      COMMENT "scdoc ${page}" VERBATIM)
    list(APPEND SL_MAN_PAGES ${out})
  endforeach()
  add_custom_target(man ALL DEPENDS ${SL_MAN_PAGES})
  file(WRITE ${SL_MAN_DIR}/STATUS "built\n")
else()
  message(STATUS "scdoc not found: man pages are not built "
                 "(Debian: apt-get install scdoc, or make setup)")
  file(WRITE ${SL_MAN_DIR}/STATUS
    "not built: scdoc was not found at configure time (Debian package scdoc)\n")
endif()
