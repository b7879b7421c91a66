# cmake/optional-fuzz.cmake: the fuzz targets (issue 9). Their corpus
# replays build with any compiler and run under CTest; the libFuzzer
# programs need clang and -DSL_FUZZ=ON (`make fuzz` sets both up).
include(${PROJECT_SOURCE_DIR}/fuzz/fuzz.cmake)
