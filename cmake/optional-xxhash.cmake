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
  # On x86-64 the library also exports XXH3 entry points that pick the
  # widest vector unit at run time (AVX2, AVX-512): twice the speed of the
  # plain ones, which stop at the SSE2 every x86-64 has.
  include(CheckCSourceCompiles)
  set(CMAKE_REQUIRED_INCLUDES ${SL_XXHASH_INCLUDE_DIRS})
  set(CMAKE_REQUIRED_LIBRARIES ${SL_XXHASH_LINK_LIBRARIES})
  check_c_source_compiles("
    #include <xxhash.h>
    #include <xxh_x86dispatch.h>
    int main(void) { XXH3_state_t *s = XXH3_createState();
      return XXH3_128bits_update_dispatch(s, \"x\", 1) == XXH_OK ? 0 : 1; }"
    SL_XXHASH_DISPATCH)
  unset(CMAKE_REQUIRED_INCLUDES)
  unset(CMAKE_REQUIRED_LIBRARIES)
  set(_sl_xxh_how "")
  if(SL_XXHASH_DISPATCH)
    target_compile_definitions(socklab_obj PRIVATE SL_HAVE_XXH_DISPATCH=1)
    set(_sl_xxh_how ", vector unit chosen at run time")
  endif()
  message(STATUS "file transfer checksum: libxxhash ${SL_XXHASH_VERSION} (XXH3-128${_sl_xxh_how})")
else()
  message(STATUS "file transfer checksum: not built (libxxhash >= 0.8 not found; "
                 "Debian: apt-get install libxxhash-dev)")
endif()
