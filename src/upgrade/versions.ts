/** A tugboat version, `MAJOR.MINOR.PATCH[-pre]`, parsed for comparison. */
export interface Version {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
  readonly pre: string;
  readonly text: string;
}

/** Parses `1.2.3` or `1.2.3-rc.1` (a leading `v` is allowed); undefined for anything else. */
export function parseVersion(text: string): Version | undefined {
  const m = /^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?$/.exec(text.trim());
  if (!m) return undefined;
  return {
    major: Number(m[1]),
    minor: Number(m[2]),
    patch: Number(m[3]),
    pre: m[4] ?? '',
    text: text.trim(),
  };
}

/** Orders versions as semver does (a pre-release sorts before its release; pre-releases compare as text). */
export function compareVersions(a: Version, b: Version): number {
  for (const k of ['major', 'minor', 'patch'] as const) if (a[k] !== b[k]) return a[k] - b[k];
  if (a.pre === b.pre) return 0;
  if (!a.pre) return 1;
  if (!b.pre) return -1;
  return a.pre < b.pre ? -1 : 1;
}

/**
 * How many minors `agent` is behind `controlPlane` (negative when ahead); Infinity across majors,
 * where no skew is supported.
 */
export function minorsBehind(agent: Version, controlPlane: Version): number {
  if (agent.major !== controlPlane.major) return Number.POSITIVE_INFINITY;
  return controlPlane.minor - agent.minor;
}
