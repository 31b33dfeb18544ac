# The front door. Every target installs what it needs first (scripts/install_deps.sh).
#   make build  - release binaries in build/release/ (the engine: build/release/foryou)
#   make test   - every unit test in release, then under ASan+UBSan, then the concurrency
#                 tests under TSan
#   make demo   - builds and runs the main job
#   make bench  - the embedding benchmark at full size
JOBS ?= $(shell nproc)
CTEST_ARGS ?= --output-on-failure --no-tests=error -j $(JOBS)

.PHONY: deps build test test-release test-asan test-tsan demo bench slow clean

deps:
	@bash scripts/install_deps.sh

build: deps
	@cmake --preset release >/dev/null
	@cmake --build --preset release -j $(JOBS)

test: test-release test-asan test-tsan

test-release: build
	cd build/release && ctest $(CTEST_ARGS) -L unit

test-asan: deps
	@cmake --preset asan >/dev/null
	@cmake --build --preset asan -j $(JOBS)
	cd build/asan && ctest $(CTEST_ARGS) -L unit

test-tsan: deps
	@cmake --preset tsan >/dev/null
	@cmake --build --preset tsan -j $(JOBS)
	cd build/tsan && TSAN_OPTIONS=halt_on_error=1 ctest $(CTEST_ARGS) -L concurrency

slow: build
	cd build/release && ctest $(CTEST_ARGS) -L slow

demo: build
	./build/release/foryou bench embedding --keys 2000000 --ops 4000000

bench: build
	./build/release/foryou bench embedding

clean:
	rm -rf build
