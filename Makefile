# Thin wrapper over CMake. The two commands a newcomer needs:
#   make demo   install what is missing, build, run the demo (no privileges)
#   make test   install what is missing, build, run every test through ctest
BUILD      ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS       ?= $(shell nproc)
CMAKE_ARGS ?=

.PHONY: all deps test-deps configure build demo test bench asan fuzz format clean

all: build

deps:
	@tools/install-deps.sh tools/deps/build.txt

test-deps:
	@tools/install-deps.sh tools/deps/build.txt tools/deps/test.txt

configure:
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) $(CMAKE_ARGS) >/dev/null

build: configure
	@cmake --build $(BUILD) -j $(JOBS)

demo: deps
	@$(MAKE) --no-print-directory build
	@$(BUILD)/bin/usnet demo

test: test-deps
	@$(MAKE) --no-print-directory build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

bench: deps
	@$(MAKE) --no-print-directory build BUILD_TYPE=Release BUILD=build-release
	@build-release/bin/usnet_bench

# The whole suite once more under AddressSanitizer + UBSan (Debug, DCHECKs on).
asan: test-deps
	@$(MAKE) --no-print-directory build BUILD=build-asan BUILD_TYPE=Debug \
	  CMAKE_ARGS="-DUSNET_SANITIZE=ON"
	@cd build-asan && ctest --output-on-failure -j $(JOBS)

# libFuzzer targets (clang); FUZZ_SECONDS bounds each run.
FUZZ_SECONDS ?= 60
fuzz: test-deps
	@cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug -DUSNET_FUZZ=ON \
	  -DCMAKE_CXX_COMPILER=clang++ >/dev/null
	@cmake --build build-fuzz -j $(JOBS) --target usnet_fuzzers
	@tools/run-fuzzers.sh build-fuzz $(FUZZ_SECONDS)

format:
	@git ls-files '*.h' '*.cc' | xargs clang-format -i

clean:
	rm -rf build build-asan build-fuzz build-release
