// Readings of processes and of the machine from /proc: CPU time as utime +
// stime of /proc/PID/stat (every thread of the process, exited ones too),
// resident memory as VmRSS, and the machine's busy time from /proc/stat.

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Clock ticks per second (/proc's unit of CPU time). */
export const TICKS = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

/** utime + stime of process `pid`, seconds; null if it is gone. */
export function cpuSeconds(pid) {
  let stat;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return null;
  }
  // Fields after the command name (which may hold spaces and parentheses).
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state); utime is field 14, stime field 15.
  return (Number(fields[11]) + Number(fields[12])) / TICKS;
}

/** VmRSS of process `pid`, KiB; null if it is gone. */
export function rssKib(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'latin1');
    const match = /^VmRSS:\s+(\d+) kB/m.exec(status);
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}

/** CPU time the whole machine spent busy (user, nice, system, irq, softirq), seconds. */
export function busySeconds() {
  const line = readFileSync('/proc/stat', 'latin1').split('\n')[0];
  const [user, nice, system, , , irq, softirq] = line.split(/\s+/).slice(1).map(Number);
  return (user + nice + system + irq + softirq) / TICKS;
}
