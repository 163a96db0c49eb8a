#!/usr/bin/env bash
# Installs (if missing), configures and starts a single-node Slurm cluster on this machine:
# Debian's munge and slurm-wlm, slurmctld and slurmd both here, one partition "halflab"
# with this node's CPUs. Needs root. Exits non-zero, saying why, when Slurm cannot be
# started: the test that calls it then fails (it never skips).
# Idempotent: an already working cluster started by this script is left running.
set -euo pipefail
log() { echo "start_slurm: $*" >&2; }
die() { log "FAILED: $*"; exit 1; }

[ "$(id -u)" -eq 0 ] || die "needs root (apt-get, /etc/slurm, the daemons)"

missing=()
for p in slurm-wlm munge; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]}"
  apt-get update -qq || die "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" \
    || die "cannot install ${missing[*]}"
fi

host=$(hostname -s)
if sinfo -h -o '%T' -n "$host" 2>/dev/null | grep -qE '^(idle|mixed|allocated)'; then
  log "slurm already up on $host"
  exit 0
fi

# munge: a key, then the daemon (as the munge user, as Debian's unit does).
mkdir -p /etc/munge /var/lib/munge /var/log/munge /run/munge
if [ ! -s /etc/munge/munge.key ]; then
  dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
fi
chown -R munge:munge /etc/munge /var/lib/munge /var/log/munge /run/munge
chmod 0700 /etc/munge /var/lib/munge /var/log/munge
chmod 0755 /run/munge
chmod 0400 /etc/munge/munge.key
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
  runuser -u munge -- /usr/sbin/munged || die "munged did not start (see /var/log/munge/munged.log)"
  for _ in $(seq 50); do munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.1; done
  munge -n | unmunge >/dev/null || die "munge does not work (see /var/log/munge/munged.log)"
fi

# This node as slurmd sees it (CPUs, sockets, memory), so it is never drained for
# having less than configured.
node=$(slurmd -C | head -1)
[ -n "$node" ] || die "slurmd -C printed nothing"
mkdir -p /etc/slurm /var/spool/slurmctld /var/spool/slurmd /var/log/slurm
cat > /etc/slurm/slurm.conf <<CONF
# Written by HalfLab's tests/slurm/start_slurm.sh: a single-node cluster for the tests.
ClusterName=halflab
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=/var/log/slurm/jobcomp.log
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
$node State=UNKNOWN
PartitionName=halflab Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
# proctrack/linuxproc and task/none need no cgroups (there may be none in a container).
rm -f /etc/slurm/cgroup.conf

pkill_pidfile() { [ -f "$1" ] && kill "$(cat "$1")" 2>/dev/null || true; }
pkill_pidfile /run/slurmctld.pid
pkill_pidfile /run/slurmd.pid
sleep 0.5
/usr/sbin/slurmctld -c || die "slurmctld did not start (see /var/log/slurm/slurmctld.log)"
/usr/sbin/slurmd || die "slurmd did not start (see /var/log/slurm/slurmd.log)"
for _ in $(seq 100); do
  state=$(sinfo -h -o '%T' -n "$host" 2>/dev/null || true)
  case "$state" in
    idle*|mixed*|allocated*) log "slurm up on $host ($state)"; exit 0 ;;
    down*|drain*) scontrol update nodename="$host" state=resume 2>/dev/null || true ;;
  esac
  sleep 0.2
done
tail -5 /var/log/slurm/slurmctld.log /var/log/slurm/slurmd.log >&2 || true
die "node $host did not become idle (state: ${state:-none})"
