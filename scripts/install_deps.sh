#!/usr/bin/env bash
# Installs the Debian packages foryou builds and tests with. Idempotent and quiet when
# everything is already there; run as root (or with sudo available).
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config lld clang libclang-rt-14-dev
  libabsl-dev libgtest-dev libgmock-dev libbenchmark-dev libcli11-dev
  libzstd-dev libxxhash-dev libcuckoo-dev libeigen3-dev nlohmann-json3-dev librocksdb-dev
  libsodium-dev  # Argon2id password hashes and session token MACs (src/accounts)
  libxapian-dev  # the search index (src/search)
  librdkafka-dev  # the event log on Kafka and its mock cluster (src/kafka)
  libjemalloc-dev  # the release binary's malloc (docs/design/memory.md)
  haproxy  # the cluster's front (config/haproxy/cluster.cfg: make demo-cluster, kafka_front_test)
  # the media pipeline (src/media): probe, decode, filter graph, encode, mux
  libavformat-dev libavcodec-dev libavfilter-dev libswscale-dev libswresample-dev libavutil-dev
  libopencv-dev libopencv-contrib-dev  # frame sampling and img_hash (src/moderation dedup)
  libcpp-httplib-dev libboost1.74-dev wrk curl
  ffmpeg fonts-dejavu-core zstd chromium  # demo clips (scripts/make_clips.sh), web app tests
)
# The web app's build needs node and npm. Debian's npm conflicts with nodesource's nodejs (which
# bundles npm), so they are only installed when neither is there already.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  PACKAGES+=(nodejs npm)
fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install_deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
