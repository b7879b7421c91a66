# libpcap for `socklab demo --trace` (issue 7). Without it, the trace uses
# an AF_PACKET socket on Linux (src/net/capture_packet.c).
if(PKG_CONFIG_FOUND)
  pkg_check_modules(PCAP IMPORTED_TARGET libpcap)
endif()
if(PCAP_FOUND)
  target_compile_definitions(socklab_obj PUBLIC SL_HAVE_PCAP=1)
  target_include_directories(socklab_obj PRIVATE ${PCAP_INCLUDE_DIRS})
  target_link_libraries(socklab PUBLIC PkgConfig::PCAP)
  message(STATUS "socklab: packet capture through libpcap ${PCAP_VERSION}")
else()
  message(STATUS "socklab: libpcap not found (libpcap-dev): the trace uses AF_PACKET")
endif()
