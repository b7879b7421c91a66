# Thin front door over CMake. `make run` and `make test` do their own set-up.
BUILD    ?= build
PREFIX   ?= /usr/local
DESTDIR  ?=
SANITIZE ?=
JOBS     ?= $(shell nproc 2>/dev/null || echo 2)
PORT     ?= 9190
CMAKE_FLAGS ?=

.PHONY: all setup configure build run test install uninstall clean asan tsan bench fuzz valgrind

all: build

# Installs what the build and the tests need when it is missing (Debian).
setup:
	@sh scripts/setup.sh

$(BUILD)/CMakeCache.txt:
	@sh scripts/setup.sh
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DCMAKE_INSTALL_PREFIX=$(PREFIX) -DSL_SANITIZE=$(SANITIZE) $(CMAKE_FLAGS)

configure: $(BUILD)/CMakeCache.txt

build: configure
	cmake --build $(BUILD) -j $(JOBS)

run: build
	./$(BUILD)/socklab echo-server -p $(PORT)

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 900

asan:
	$(MAKE) test BUILD=build-asan SANITIZE=address,undefined

tsan:
	$(MAKE) test BUILD=build-tsan SANITIZE=thread

bench: build
	@if [ -x bench/run ]; then bench/run $(BUILD); else \
	  echo "make bench: the benchmark harness (bench/run) is not built yet"; exit 1; fi

# libFuzzer: every fuzz/fuzz_*.c target for FUZZ_SECONDS each (clang only;
# the corpus replays run in `make test` with any compiler).
FUZZ_SECONDS ?= 60
fuzz:
	@command -v clang >/dev/null 2>&1 || { echo "make fuzz: needs clang (apt-get install clang)"; exit 1; }
	cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DSL_FUZZ=ON -DSL_WERROR=OFF \
	  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBUILD_TESTING=OFF \
	  -DCMAKE_C_FLAGS="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined"
	cmake --build build-fuzz --target sl_fuzz -j $(JOBS)
	sh fuzz/run.sh build-fuzz $(FUZZ_SECONDS)

# The end-to-end tests with every socklab process under valgrind's memcheck
# (errors, leaks and descriptors left open fail); VALGRIND_TESTS picks files.
VALGRIND_TESTS ?=
valgrind: build
	sh scripts/valgrind-e2e.sh $(BUILD) $(VALGRIND_TESTS)

install: build
	DESTDIR=$(DESTDIR) cmake --install $(BUILD) --prefix $(PREFIX)

# Removes exactly what install put: the files of install_manifest.txt and the
# directories install created (cmake/uninstall.cmake). Give the same DESTDIR.
uninstall:
	DESTDIR=$(DESTDIR) cmake -DBUILD=$(BUILD) -P cmake/uninstall.cmake

clean:
	rm -rf build build-asan build-tsan build-fuzz build-clang
