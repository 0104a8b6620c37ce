#!/usr/bin/env bash
# Installs everything tugboat's tests need on a fresh Debian 12 machine (run as root):
# Debian packages for the real servers the tests start, then the npm dependencies.
# Idempotent: packages already present are not fetched again.
set -euo pipefail
cd "$(dirname "$0")/.."

apt_packages=(docker.io busybox-static openssh-server etcd-server etcd-client iproute2 iptables procps openssl systemd)
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

npm ci --no-audit --no-fund
