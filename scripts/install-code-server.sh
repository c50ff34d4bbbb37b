#!/usr/bin/env bash
# Installs what the VS Code end-to-end tests (test/e2e) need, outside the project's dependencies:
# code-server (VS Code served over HTTP; npm package `code-server`) into .cache/code-server, and
# Debian's chromium for the browser that drives it. Machines here reach only the npm registry and
# Debian's packages, which takes three workarounds (see the comments below).
# Idempotent: does nothing when both are already there. Safe to run concurrently (flock).
# usage: bash scripts/install-code-server.sh          (env CODE_SERVER_DIR, CODE_SERVER_VERSION override)
# 4.100.3 is VS Code 1.100.3 and runs on Node 20; newer code-server needs Node 22.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DEST="${CODE_SERVER_DIR:-$ROOT/.cache/code-server}"
VERSION="${CODE_SERVER_VERSION:-4.100.3}"
BIN="$DEST/node_modules/.bin/code-server"

mkdir -p "$DEST"
DEST=$(cd "$DEST" && pwd)
if command -v flock >/dev/null 2>&1; then
  exec 9>"$DEST.lock"
  flock 9
fi

apt_install() {
  local SUDO=()
  [ "$(id -u)" = 0 ] || SUDO=(sudo)
  "${SUDO[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq "$@" >/dev/null
}

# The browser: Debian's chromium (playwright-core drives it; its own browser downloads are unreachable).
[ -x /usr/bin/chromium ] || apt_install chromium

installed=$([ -f "$DEST/node_modules/code-server/package.json" ] && node -p "require('$DEST/node_modules/code-server/package.json').version" 2>/dev/null || true)
if [ -x "$BIN" ] && [ "$installed" = "$VERSION" ]; then
  echo "code-server $VERSION already in $DEST"
  exit 0
fi

# Its `kerberos` module compiles against libkrb5; @vscode/ripgrep needs an rg binary (below); the
# end-to-end test lists the .vsix with unzip.
need=()
for p in libkrb5-dev ripgrep unzip; do dpkg -s "$p" >/dev/null 2>&1 || need+=("$p"); done
[ ${#need[@]} -eq 0 ] || apt_install "${need[@]}"

# @vscode/ripgrep's postinstall downloads rg from GitHub unless the release asset is already in its
# cache folder ($TMPDIR/vscode-ripgrep-cache-<package version>/). Pack Debian's rg under the asset
# names that the @vscode/ripgrep versions code-server depends on look for.
export TMPDIR="${TMPDIR:-/tmp}"
staging=$(mktemp -d)
trap 'rm -rf "$staging"' EXIT
mkdir -p "$staging/bin"
cp "$(command -v rg)" "$staging/rg"
cp "$(command -v rg)" "$staging/bin/rg"
for pair in 1.15.11:ripgrep-v13.0.0-10 1.15.9:ripgrep-v13.0.0-10 1.17.1:ripgrep-v15.0.1; do
  package_version=${pair%%:*}
  asset=${pair#*:}
  cache="$TMPDIR/vscode-ripgrep-cache-$package_version"
  mkdir -p "$cache"
  for triple in x86_64-unknown-linux-musl x86_64-unknown-linux-gnu; do
    [ -f "$cache/$asset-$triple.tar.gz" ] || tar czf "$cache/$asset-$triple.tar.gz" -C "$staging" rg bin
  done
done

# A package.json of its own keeps this install out of the project's node_modules and lock file.
cd "$DEST"
[ -f package.json ] || echo '{ "private": true, "description": "code-server for the end-to-end tests; see scripts/install-code-server.sh" }' > package.json
# As root, code-server's postinstall needs unsafe-perm, and it runs a nested `npx node-gyp` that
# would otherwise wait for a "Need to install" confirmation.
npm_config_yes=true npm_config_unsafe_perm=true npm install --no-audit --no-fund "code-server@$VERSION"
# With its own config folder: code-server writes a default config.yaml into ~/.config otherwise.
XDG_CONFIG_HOME="$staging" XDG_DATA_HOME="$staging" "$BIN" --version
