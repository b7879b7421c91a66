# cmake/package.cmake: included after the optional parts. Links what they
# linked into `socklab` into the shared library as well, and works out the
# dependency lines of socklab.pc (Requires.private, Libs.private) and of
# socklabConfig.cmake (find_dependency / pkg_check_modules).
get_target_property(SL_LIB_DEPS socklab LINK_LIBRARIES)
if(NOT SL_LIB_DEPS)
  set(SL_LIB_DEPS "")
endif()
target_link_libraries(socklab_shared PRIVATE ${SL_LIB_DEPS})

set(SL_PC_REQUIRES_PRIVATE "")
set(SL_PC_LIBS_PRIVATE "")
set(SL_CONFIG_DEPENDENCIES "")
foreach(dep IN LISTS SL_LIB_DEPS)
  if(dep STREQUAL "Threads::Threads")
    string(APPEND SL_PC_LIBS_PRIVATE " -pthread")
  elseif(dep MATCHES "^PkgConfig::(.+)$")
    # pkg_check_modules(PREFIX IMPORTED_TARGET module) left PREFIX_MODULE_NAME.
    set(prefix ${CMAKE_MATCH_1})
    set(module "${${prefix}_MODULE_NAME}")
    if(module)
      string(APPEND SL_PC_REQUIRES_PRIVATE " ${module}")
      # Only the static library needs it: not REQUIRED, so that a user of
      # the shared library needs no development files of its dependencies.
      string(APPEND SL_CONFIG_DEPENDENCIES
        "find_package(PkgConfig QUIET)\nif(PKG_CONFIG_FOUND AND NOT TARGET PkgConfig::${prefix})\n"
        "  pkg_check_modules(${prefix} QUIET IMPORTED_TARGET ${module})\nendif()\n")
    else()
      message(WARNING "socklab: cannot tell the pkg-config module of ${dep}; "
                      "socklab.pc and socklabConfig.cmake will not name it")
    endif()
  elseif(dep MATCHES "^[A-Za-z0-9_.+-]+$")
    string(APPEND SL_PC_LIBS_PRIVATE " -l${dep}")
  elseif(dep MATCHES "^-")
    string(APPEND SL_PC_LIBS_PRIVATE " ${dep}")
  endif()
endforeach()
string(STRIP "${SL_PC_REQUIRES_PRIVATE}" SL_PC_REQUIRES_PRIVATE)
string(STRIP "${SL_PC_LIBS_PRIVATE}" SL_PC_LIBS_PRIVATE)
