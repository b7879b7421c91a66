# cmake/optional-pcap.cmake: libpcap for `socklab demo --trace` (issue 7;
# Debian: libpcap-dev). Without it the capture uses an AF_PACKET socket on
# Linux (src/net/capture_packet.c), so the trace still works; only the
# backend named in the demo's output changes.
if(PKG_CONFIG_FOUND)
  pkg_check_modules(SL_PCAP IMPORTED_TARGET libpcap)
endif()
if(SL_PCAP_FOUND)
  target_link_libraries(socklab_obj PRIVATE PkgConfig::SL_PCAP)
  target_link_libraries(socklab PUBLIC PkgConfig::SL_PCAP)
  target_compile_definitions(socklab_obj PRIVATE SL_HAVE_PCAP=1)
  message(STATUS "packet capture: libpcap ${SL_PCAP_VERSION}")
else()
  message(STATUS "packet capture: libpcap not found (Debian: apt-get install "
                 "libpcap-dev); the trace uses an AF_PACKET socket")
endif()
