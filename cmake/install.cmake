# cmake/install.cmake: what `make install` puts under PREFIX (and DESTDIR):
# the command, the shared and static libraries, the headers, socklab.pc, the
# CMake package, the man pages, the shell completions and the example
# sources. install_dirs.txt (see install-dirs.cmake) lets `make uninstall`
# remove exactly that.
include(CMakePackageConfigHelpers)
set(SL_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/socklab)
set(SL_BASH_DIR ${CMAKE_INSTALL_DATADIR}/bash-completion/completions)
set(SL_ZSH_DIR ${CMAKE_INSTALL_DATADIR}/zsh/site-functions)
set(SL_EXAMPLES_DIR ${CMAKE_INSTALL_DOCDIR}/examples)

# First rule: note which directories this installation creates.
set(SL_INSTALL_SUBDIRS ${CMAKE_INSTALL_BINDIR} ${CMAKE_INSTALL_LIBDIR}/pkgconfig
  ${SL_CMAKE_DIR} ${CMAKE_INSTALL_INCLUDEDIR}/socklab ${CMAKE_INSTALL_MANDIR}/man1
  ${CMAKE_INSTALL_MANDIR}/man3 ${SL_BASH_DIR} ${SL_ZSH_DIR} ${SL_EXAMPLES_DIR})
install(CODE "set(SL_INSTALL_SUBDIRS \"${SL_INSTALL_SUBDIRS}\")
  set(SL_BINARY_DIR \"${PROJECT_BINARY_DIR}\")
  include(\"${PROJECT_SOURCE_DIR}/cmake/install-dirs.cmake\")")

install(TARGETS socklab_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS socklab socklab_shared EXPORT socklabTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} NAMELINK_COMPONENT Unspecified
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY include/socklab DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

# socklab.pc: everything but the prefix now, the prefix at install time
# (cmake --install --prefix may differ from the configured one).
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(SL_PC_LIBDIR "${CMAKE_INSTALL_LIBDIR}")
else()
  set(SL_PC_LIBDIR "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
endif()
if(IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(SL_PC_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}")
else()
  set(SL_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()
set(SL_PC_PREFIX "@SL_PC_PREFIX@")
configure_file(cmake/socklab.pc.in ${PROJECT_BINARY_DIR}/socklab.pc.stage @ONLY)
install(CODE "set(SL_PC_PREFIX \"\${CMAKE_INSTALL_PREFIX}\")
  configure_file(\"${PROJECT_BINARY_DIR}/socklab.pc.stage\"
                 \"${PROJECT_BINARY_DIR}/socklab.pc\" @ONLY)")
install(FILES ${PROJECT_BINARY_DIR}/socklab.pc
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# The CMake package: socklab::socklab (shared) and socklab::socklab_static.
install(EXPORT socklabTargets NAMESPACE socklab:: DESTINATION ${SL_CMAKE_DIR})
configure_package_config_file(cmake/socklabConfig.cmake.in
  ${PROJECT_BINARY_DIR}/socklabConfig.cmake INSTALL_DESTINATION ${SL_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/socklabConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/socklabConfig.cmake
  ${PROJECT_BINARY_DIR}/socklabConfigVersion.cmake DESTINATION ${SL_CMAKE_DIR})

foreach(page ${SL_MAN_PAGES})
  string(REGEX MATCH "[0-9]$" section ${page})
  install(FILES ${page} DESTINATION ${CMAKE_INSTALL_MANDIR}/man${section})
endforeach()
install(FILES completions/socklab.bash DESTINATION ${SL_BASH_DIR} RENAME socklab)
install(FILES completions/_socklab DESTINATION ${SL_ZSH_DIR})
install(FILES ${SL_EXAMPLES} DESTINATION ${SL_EXAMPLES_DIR})
