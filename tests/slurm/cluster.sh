#!/usr/bin/env bash
# Start or stop a single-node SLURM cluster on this machine (Debian slurm-wlm + munge), for tests.
#   tests/slurm/cluster.sh start   writes /etc/slurm/slurm.conf, starts munged, slurmctld, slurmd
#   tests/slurm/cluster.sh stop    stops the daemons this script started
# Partition "debug" (default), 2 CPUs, no GPUs, no accounting database.
set -euo pipefail
STATE=/var/tmp/microau-slurm
action=${1:?usage: cluster.sh start|stop}

start() {
    command -v slurmctld >/dev/null || { echo "slurm-wlm is not installed (apt-get install slurm-wlm munge)" >&2; exit 1; }
    mkdir -p "$STATE" /var/spool/slurmctld /var/spool/slurmd /var/log/slurm /run/munge
    chown slurm:slurm /var/spool/slurmctld /var/log/slurm
    chown munge:munge /run/munge
    host=$(hostname -s)
    cpus=$(nproc)
    memory=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 - 1024 ))
    cat > /etc/slurm/slurm.conf <<CONF
ClusterName=microau-test
SlurmctldHost=${host}
AuthType=auth/munge
SlurmUser=slurm
SlurmctldPort=6817
SlurmdPort=6818
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=${STATE}/slurmctld.pid
SlurmdPidFile=${STATE}/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
ReturnToService=2
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
NodeName=${host} CPUs=${cpus} RealMemory=${memory} State=UNKNOWN
PartitionName=debug Nodes=${host} Default=YES MaxTime=INFINITE State=UP
CONF
    if ! pgrep -x munged >/dev/null; then
        [ -s /etc/munge/munge.key ] || { dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null; chown munge:munge /etc/munge/munge.key; chmod 400 /etc/munge/munge.key; }
        runuser -u munge -- /usr/sbin/munged --force
        touch "$STATE/started-munged"
    fi
    /usr/sbin/slurmctld -c
    /usr/sbin/slurmd -c
    for _ in $(seq 60); do
        if sinfo -h -o '%T' 2>/dev/null | grep -qx idle; then
            sinfo
            return 0
        fi
        sleep 1
    done
    echo "SLURM did not come up; see /var/log/slurm/" >&2
    tail -20 /var/log/slurm/slurmctld.log /var/log/slurm/slurmd.log >&2 || true
    exit 1
}

stop() {
    for daemon in slurmd slurmctld; do
        pidfile="$STATE/$daemon.pid"
        if [ -s "$pidfile" ]; then kill "$(cat "$pidfile")" 2>/dev/null || true; fi
    done
    if [ -e "$STATE/started-munged" ]; then pkill -x munged || true; rm -f "$STATE/started-munged"; fi
    for _ in $(seq 20); do pgrep -x slurmctld >/dev/null || pgrep -x slurmd >/dev/null || return 0; sleep 0.5; done
}

"$action"
