#!/bin/sh
# Runs a command (the e2e suite, or an e2e benchmark) confined to namespaces of its own, so no
# packet it sends can leave this machine and no process it starts can outlive it:
#   --net          a fresh network namespace: only loopback, plus the bridges and veths the test makes;
#                  moto_server listens on 127.0.0.1 in here, and every 10.x address is a test host's
#   --mount        a private mount table: /run/netns gets a tmpfs of its own, so the test's named
#                  network namespaces are invisible to (and cannot collide with) the rest of the machine
#   --pid --fork   a PID namespace whose init is the `sh` below; when the run ends, the kernel kills
#                  every process still in it (sshd, dockerd, agents), even after a crash
#   --mount-proc   /proc shows this PID namespace, so the test's PID checks mean what they say
# `sh` stays PID 1 (the command is not exec'd) because dash reaps the orphans PID 1 inherits.
# Afterwards this script sweeps what only a crashed run leaves: host directories and cgroups.
# Usage: sh scripts/e2e-confine.sh COMMAND [ARGS...]
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
# No registry is reachable from in here: npm (the hosts' Node.js runtime is fetched with `npm pack`
# on a cache miss) answers from its cache or fails at once, instead of retrying for minutes.
export npm_config_offline=true

# Safety net for what the kernel does not remove when a run dies (host directories, cgroups):
# sweep_runs ID... removes those of the given runs, and says so, because the tests' own teardown
# should have removed them already.
sweep_runs() {
  for id in "$@"; do
    for d in /var/tmp/tugboat-e2e-"$id"-*; do
      [ -e "$d" ] || continue
      echo "e2e: removing $d left by run $id" >&2
      rm -rf "$d"
    done
    for g in /sys/fs/cgroup/*/tugboat-e2e-"$id"-*; do
      [ -d "$g" ] || continue
      echo "e2e: removing cgroup $g left by run $id" >&2
      find "$g" -depth -type d -exec rmdir {} + 2>/dev/null || true
    done
  done
}
# Runs whose script is gone (killed before it could sweep).
stale=$(ls -d /var/tmp/tugboat-e2e-* /sys/fs/cgroup/*/tugboat-e2e-* 2>/dev/null |
  sed -n 's|.*/tugboat-e2e-\([0-9][0-9]*\)-.*|\1|p' | sort -u)
for id in $stale; do
  kill -0 "$id" 2>/dev/null || sweep_runs "$id"
done

set +e
# Ctrl-C reaches the run itself (same process group); this script only outlives it to sweep.
trap 'true' INT TERM
unshare --net --mount --propagation private --pid --fork --mount-proc \
  sh -c '
    set -e
    ip link set lo up
    mkdir -p /run/netns
    mount -t tmpfs -o mode=0755,size=1m tugboat-e2e-netns /run/netns
    set +e
    TUGBOAT_E2E_CONFINED=1 TUGBOAT_E2E_RUN_ID="$run_id" "$@"
    status=$?
    exit $status
  ' tugboat-e2e "$@"
status=$?
# Every process of the run died with its PID namespace; now its files and cgroups can go.
sweep_runs "$run_id"
exit $status
