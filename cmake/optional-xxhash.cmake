# cmake/optional-xxhash.cmake: the file transfer's checksum, XXH3-128 from
# libxxhash (Debian: libxxhash-dev). Without it the default file protocol
# says "not built: ..." at run time and its tests skip; --raw still works.
# Only the library needs the define: the command line asks the library
# (sl_file_hash_available) instead of testing SL_HAVE_XXHASH itself.
if(PKG_CONFIG_FOUND)
  pkg_check_modules(SL_XXHASH IMPORTED_TARGET libxxhash>=0.8)
endif()
if(SL_XXHASH_FOUND)
  target_link_libraries(socklab_obj PRIVATE PkgConfig::SL_XXHASH)
  target_link_libraries(socklab PUBLIC PkgConfig::SL_XXHASH)
  target_compile_definitions(socklab_obj PRIVATE SL_HAVE_XXHASH=1)
  message(STATUS "file transfer checksum: libxxhash ${SL_XXHASH_VERSION} (XXH3-128)")
else()
  message(STATUS "file transfer checksum: not built (libxxhash >= 0.8 not found; "
                 "Debian: apt-get install libxxhash-dev)")
endif()
