# cmake/package.cmake: included after the optional parts. Links what they
# linked into `socklab` into the shared library as well, and works out the
# dependency lines of socklab.pc (Libs.private) and of
# socklabConfig.cmake (find_dependency / pkg_check_modules).
get_target_property(SL_LIB_DEPS socklab LINK_LIBRARIES)
if(NOT SL_LIB_DEPS)
  set(SL_LIB_DEPS "")
endif()
target_link_libraries(socklab_shared PRIVATE ${SL_LIB_DEPS})

set(SL_PC_LIBS_PRIVATE "")
set(SL_CONFIG_DEPENDENCIES "")
foreach(dep IN LISTS SL_LIB_DEPS)
  if(dep STREQUAL "Threads::Threads")
    string(APPEND SL_PC_LIBS_PRIVATE " -pthread")
  elseif(dep MATCHES "^PkgConfig::(.+)$")
    # pkg_check_modules(PREFIX IMPORTED_TARGET module) left PREFIX_MODULE_NAME
    # and PREFIX_LIBRARIES / _LIBRARY_DIRS. socklab's headers
    # include none of the dependency's, so socklab.pc names its libraries in
    # Libs.private (for static linking) rather than Requires.private, which
    # would add the dependency's Cflags to every build against socklab.
    set(prefix ${CMAKE_MATCH_1})
    foreach(dir IN LISTS ${prefix}_LIBRARY_DIRS)
      if(NOT dir IN_LIST CMAKE_C_IMPLICIT_LINK_DIRECTORIES)
        string(APPEND SL_PC_LIBS_PRIVATE " -L${dir}")
      endif()
    endforeach()
    foreach(lib IN LISTS ${prefix}_LIBRARIES)
      string(APPEND SL_PC_LIBS_PRIVATE " -l${lib}")
    endforeach()
    set(module "${${prefix}_MODULE_NAME}")
    if(module)
      # Only the static library needs it: not REQUIRED, so that a user of
      # the shared library needs no development files of its dependencies.
      string(APPEND SL_CONFIG_DEPENDENCIES
        "find_package(PkgConfig QUIET)\nif(PKG_CONFIG_FOUND AND NOT TARGET PkgConfig::${prefix})\n"
        "  pkg_check_modules(${prefix} QUIET IMPORTED_TARGET ${module})\nendif()\n")
    else()
      message(WARNING "socklab: cannot tell the pkg-config module of ${dep}; "
                      "socklabConfig.cmake will not name it")
    endif()
  elseif(dep MATCHES "^[A-Za-z0-9_.+-]+$")
    string(APPEND SL_PC_LIBS_PRIVATE " -l${dep}")
  elseif(dep MATCHES "^-")
    string(APPEND SL_PC_LIBS_PRIVATE " ${dep}")
  endif()
endforeach()
string(STRIP "${SL_PC_LIBS_PRIVATE}" SL_PC_LIBS_PRIVATE)
