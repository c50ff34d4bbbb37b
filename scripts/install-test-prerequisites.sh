#!/usr/bin/env bash
# Installs what the test suites need from outside npm, once, so that `npm ci && npm test` passes on a
# machine that has only Node.js 20 and npm (with root or sudo, and Debian's package archive):
#   broker       librdkafka-dev and gcc, then the mock Kafka broker (scripts/build-mock-broker.sh)
#   kcat         Debian's kcat: a Kafka producer that is not ours (librdkafka)
#   chromium     Debian's chromium: the panels' tests and the VS Code tests drive it headless
#   code-server  VS Code served over HTTP, into .cache/code-server (scripts/install-code-server.sh)
#   python3      the exported PySpark files are checked with `python3 -m py_compile`
#   pyflakes     Debian's pyflakes3: the export's Python (src/export/python, the generated jobs) is linted
# usage: bash scripts/install-test-prerequisites.sh [broker kcat chromium code-server python3 pyflakes]
#        (no argument: all of them). test/run.mjs calls it with what the selected suites need.
# Idempotent: what is there is checked in milliseconds and left alone. Says what it installs and
# how long it took; when it cannot install (no root, no package archive), it exits 1 with one
# message naming the command that would.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
wanted=("$@")
[ ${#wanted[@]} -gt 0 ] || wanted=(broker kcat chromium code-server python3 pyflakes)
wants() { local w; for w in "${wanted[@]}"; do [ "$w" = "$1" ] && return 0; done; return 1; }

now_ms() { date +%s%3N; }
started=$(now_ms)

# Debian packages that are missing, each for the first thing that needs it.
packages=()
need_package() { local p; for p in "$@"; do [[ " ${packages[*]} " == *" $p "* ]] || packages+=("$p"); done; }
if wants broker; then
  [ -f /usr/include/librdkafka/rdkafka_mock.h ] || need_package librdkafka-dev
  command -v gcc >/dev/null 2>&1 || need_package gcc libc6-dev
fi
wants kcat && { command -v kcat >/dev/null 2>&1 || need_package kcat; }
wants chromium && { [ -x /usr/bin/chromium ] || need_package chromium; }
wants python3 && { command -v python3 >/dev/null 2>&1 || need_package python3-minimal; }
wants pyflakes && { command -v pyflakes3 >/dev/null 2>&1 || need_package pyflakes3; }
code_server_bin="${CODE_SERVER_DIR:-$ROOT/.cache/code-server}/node_modules/.bin/code-server"
if wants code-server; then
  [ -x /usr/bin/chromium ] || need_package chromium
  if [ ! -x "$code_server_bin" ]; then
    # What code-server's own install needs: its `kerberos` module compiles against libkrb5, ripgrep
    # stands in for the rg binary that @vscode/ripgrep would download, unzip lists the .vsix.
    for p in libkrb5-dev ripgrep unzip; do dpkg -s "$p" >/dev/null 2>&1 || need_package "$p"; done
  fi
fi

cannot() {
  echo "" >&2
  echo "npm test: cannot install what the tests need: $1" >&2
  echo "  Install it with:  $2" >&2
  echo "  then run npm test again." >&2
  exit 1
}

if [ ${#packages[@]} -gt 0 ]; then
  SUDO=()
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO=(sudo -n)
    else cannot "Debian packages ${packages[*]} (installing them needs root or sudo)" "sudo apt-get update && sudo apt-get install -y ${packages[*]}"
    fi
  fi
  step=$(now_ms)
  echo "== installing Debian packages for the tests: ${packages[*]}"
  export DEBIAN_FRONTEND=noninteractive
  log=$(mktemp)
  if ! { "${SUDO[@]}" apt-get -o DPkg::Lock::Timeout=300 update -qq &&
         "${SUDO[@]}" apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "${packages[@]}"; } >"$log" 2>&1; then
    tail -n 5 "$log" >&2
    rm -f "$log"
    cannot "Debian packages ${packages[*]} (apt-get failed; is the package archive reachable?)" "sudo apt-get update && sudo apt-get install -y ${packages[*]}"
  fi
  rm -f "$log"
  echo "   installed ${packages[*]} in $(( ($(now_ms) - step) / 1000 )) s"
fi

if wants broker; then
  bash "$ROOT/scripts/build-mock-broker.sh" >/dev/null ||
    cannot "the mock Kafka broker (.cache/mockbroker did not build)" "bash scripts/build-mock-broker.sh"
fi
if wants code-server && [ ! -x "$code_server_bin" ]; then
  step=$(now_ms)
  echo "== installing code-server into .cache/code-server (npm), for the VS Code tests"
  log=$(mktemp)
  if ! bash "$ROOT/scripts/install-code-server.sh" >"$log" 2>&1; then
    tail -n 8 "$log" >&2
    rm -f "$log"
    cannot "code-server (its npm install failed; is the npm registry reachable?)" "bash scripts/install-code-server.sh"
  fi
  rm -f "$log"
  echo "   installed code-server in $(( ($(now_ms) - step) / 1000 )) s"
fi
echo "test prerequisites ready (${wanted[*]}) in $(( ($(now_ms) - started) )) ms"
