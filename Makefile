# Thin front door over CMake. `make run` and `make test` do their own set-up.
BUILD    ?= build
PREFIX   ?= /usr/local
DESTDIR  ?=
SANITIZE ?=
JOBS     ?= $(shell nproc 2>/dev/null || echo 2)
PORT     ?= 9190
CMAKE_FLAGS ?=

.PHONY: all setup configure build run test install uninstall clean asan tsan bench

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

install: build
	DESTDIR=$(DESTDIR) cmake --install $(BUILD) --prefix $(PREFIX)

# Removes exactly what install put: the files of install_manifest.txt and the
# directories install created (cmake/uninstall.cmake). Give the same DESTDIR.
uninstall:
	DESTDIR=$(DESTDIR) cmake -DBUILD=$(BUILD) -P cmake/uninstall.cmake

clean:
	rm -rf build build-asan build-tsan
