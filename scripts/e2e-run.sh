#!/bin/sh
# Runs the end-to-end suite confined to namespaces of its own, so no packet it sends can leave
# this machine and no process it starts can outlive it:
#   --net          a fresh network namespace: only loopback, plus the bridges and veths the test makes;
#                  moto_server listens on 127.0.0.1 in here, and every 10.x address is a test host's
#   --mount        a private mount table: /run/netns gets a tmpfs of its own, so the test's named
#                  network namespaces are invisible to (and cannot collide with) the rest of the machine
#   --pid --fork   a PID namespace whose init is the `sh` below; when the run ends, the kernel kills
#                  every process still in it (sshd, dockerd, agents), even after a crash
#   --mount-proc   /proc shows this PID namespace, so the test's PID checks mean what they say
# `sh` stays PID 1 (vitest is not exec'd) because dash reaps the orphans that PID 1 inherits.
set -eu
cd "$(dirname "$0")/.."
if [ "$(id -u)" != 0 ]; then
  echo "e2e: run as root; the suite creates network namespaces, bridges and mounts" >&2
  exit 1
fi
# PIDs inside start again from 1, so names that must be unique machine-wide (temp dirs, cgroups)
# use the PID this script had outside.
run_id=$$
export run_id
exec unshare --net --mount --propagation private --pid --fork --mount-proc \
  sh -c '
    set -e
    ip link set lo up
    mkdir -p /run/netns
    mount -t tmpfs -o mode=0755,size=1m tugboat-e2e-netns /run/netns
    set +e
    TUGBOAT_E2E_CONFINED=1 TUGBOAT_E2E_RUN_ID="$run_id" node_modules/.bin/vitest run -c vitest.e2e.config.ts "$@"
    status=$?
    exit $status
  ' tugboat-e2e "$@"
