# cmake/install-dirs.cmake: run first by `cmake --install`. Records in
# BUILD/install_dirs.txt each directory the installation is about to create
# (without DESTDIR, like install_manifest.txt), so that `make uninstall`
# removes those and no others.
# Expects SL_INSTALL_SUBDIRS (relative to the prefix) and SL_BINARY_DIR.
set(destdir "$ENV{DESTDIR}")
set(root "${CMAKE_INSTALL_PREFIX}")
set(list_file "${SL_BINARY_DIR}/install_dirs.txt")
set(created "")
if(EXISTS "${list_file}")
  file(STRINGS "${list_file}" old)
  foreach(d IN LISTS old)
    if(IS_DIRECTORY "${destdir}${d}")
      list(APPEND created "${d}")
    endif()
  endforeach()
endif()
foreach(sub IN LISTS SL_INSTALL_SUBDIRS)
  set(d "${root}/${sub}")
  # Walk up to the prefix itself: every missing level is ours.
  while(NOT IS_DIRECTORY "${destdir}${d}")
    list(APPEND created "${d}")
    if("${d}" STREQUAL "${root}")
      break()
    endif()
    get_filename_component(d "${d}" DIRECTORY)
  endwhile()
endforeach()
list(REMOVE_DUPLICATES created)
string(REPLACE ";" "\n" text "${created}")
file(WRITE "${list_file}" "${text}\n")
