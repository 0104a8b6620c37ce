import { execFileSync } from 'node:child_process';

/** Interface names in this process's network namespace (netlink, so /sys cannot mislead it). */
export function listLinks(): string[] {
  const json = execFileSync('ip', ['-j', 'link', 'show'], { encoding: 'utf8' });
  return (JSON.parse(json) as { ifname: string }[]).map((l) => l.ifname);
}
