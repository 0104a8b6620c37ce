import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SimHost } from '../harness/hosts/sim-host.js';

function cmdline(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return [];
  }
}

/**
 * PIDs of the host's processes running `<node> <bundle>.mjs <command> …` (e.g. `agent`,
 * `control-plane`): the service itself, not its supervisor.
 */
export function servicePids(host: SimHost, command: string): number[] {
  return host.processes().filter((pid) => {
    const argv = cmdline(pid);
    const bundle = argv.findIndex((a) => a.endsWith('.mjs'));
    return bundle >= 0 && argv[bundle + 1] === command;
  });
}

/** IDs of the containers running in the host's dockerd. */
export async function runningContainers(host: SimHost): Promise<string[]> {
  if (!host.docker) return [];
  const list = await host.docker.json<{ Id: string }[]>('GET', '/containers/json');
  return list.map((c) => c.Id).sort();
}

/** A line to look for: `text` in the file `file()` names (undefined while there is none). */
export interface WatchedLine {
  readonly name: string;
  readonly file: () => string | undefined;
  readonly text: string;
}

/** First-seen times of log lines (the services' logs carry no timestamps of their own). */
export interface LineWatch {
  /** When each line was first seen (ms since the epoch), by name. */
  readonly seen: ReadonlyMap<string, number>;
  stop(): void;
}

/**
 * Polls files every `intervalMs` (bounded by `stop()`) and records when each watched line first
 * appears: the resolution of the phase times it gives.
 */
export function watchLines(lines: readonly WatchedLine[], intervalMs = 100): LineWatch {
  const seen = new Map<string, number>();
  const look = () => {
    for (const l of lines) {
      if (seen.has(l.name)) continue;
      const file = l.file();
      if (!file) continue;
      try {
        if (readFileSync(file, 'utf8').includes(l.text)) seen.set(l.name, Date.now());
      } catch {
        // not written yet
      }
    }
  };
  const timer = setInterval(look, intervalMs);
  timer.unref();
  return {
    seen,
    stop: () => {
      clearInterval(timer);
      look();
    },
  };
}

/** A file under a host's own /var/log/tugboat, once the host is up. */
export function hostLog(host: SimHost | undefined, file: string): string | undefined {
  return host ? join(host.layout.root, 'var/log/tugboat', file) : undefined;
}
