#!/usr/bin/env bash
# Builds the test Kafka broker: test/kafka/mockbroker.c (librdkafka's mock cluster as a standalone
# process) compiled against Debian's librdkafka-dev 2.0.2 into .cache/mockbroker.
# Idempotent: installs librdkafka-dev (apt-get, once, only when its header is missing) and compiles
# only when the binary is missing or older than the source. Safe to run concurrently (flock).
# usage: bash scripts/build-mock-broker.sh        (env MOCKBROKER_OUT overrides the output path)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SRC="$ROOT/test/kafka/mockbroker.c"
OUT="${MOCKBROKER_OUT:-$ROOT/.cache/mockbroker}"
HEADER=/usr/include/librdkafka/rdkafka_mock.h

mkdir -p "$(dirname "$OUT")"
# Two test files may ask for the broker at once: the second waits, then finds it up to date.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$OUT.lock"
  flock 9
fi

if [ -x "$OUT" ] && [ "$OUT" -nt "$SRC" ] && [ -f "$HEADER" ]; then
  echo "mockbroker up to date: $OUT"
  exit 0
fi

need=()
[ -f "$HEADER" ] || need+=(librdkafka-dev)
command -v gcc >/dev/null 2>&1 || need+=(gcc libc6-dev)
if [ ${#need[@]} -gt 0 ]; then
  SUDO=()
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "need root (or sudo) to apt-get install ${need[*]}" >&2; exit 1; }
    SUDO=(sudo)
  fi
  echo "== apt-get install ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${SUDO[@]}" apt-get -o DPkg::Lock::Timeout=120 update -qq
  "${SUDO[@]}" apt-get -o DPkg::Lock::Timeout=120 install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

start=$(date +%s%N)
gcc -O2 -Wall -o "$OUT.tmp.$$" "$SRC" -lrdkafka
mv -f "$OUT.tmp.$$" "$OUT"
echo "built $OUT in $(( ($(date +%s%N) - start) / 1000000 )) ms"
