import { describe, expect, it } from 'vitest';
import { buildUpgradePlan, renderUpgradePlan, UpgradeRefusedError } from '../../src/upgrade/plan.js';
import { compareVersions, parseVersion } from '../../src/upgrade/versions.js';
import { reportedVersion, tugboatVersionOf } from '../../src/version.js';

const cluster = (master: string | undefined, ...workers: (string | undefined)[]) => [
  { name: 'm1', role: 'master' as const, version: master },
  ...workers.map((version, i) => ({ name: `w${i + 1}`, role: 'worker' as const, version })),
];

function refusal(fn: () => unknown): UpgradeRefusedError {
  try {
    fn();
  } catch (err) {
    if (err instanceof UpgradeRefusedError) return err;
    throw err;
  }
  throw new Error('not refused');
}

describe('buildUpgradePlan', () => {
  it('rolls the master alone first, then workers in batches of maxUnavailable', () => {
    const plan = buildUpgradePlan(cluster('0.1.0', '0.1.0', '0.1.0', '0.1.0'), {
      target: '0.2.0',
      maxUnavailable: 2,
    });
    expect(plan.steps).toEqual([
      { role: 'master', hosts: [{ name: 'm1', from: '0.1.0', to: '0.2.0' }] },
      {
        role: 'worker',
        hosts: [
          { name: 'w1', from: '0.1.0', to: '0.2.0' },
          { name: 'w2', from: '0.1.0', to: '0.2.0' },
        ],
      },
      { role: 'worker', hosts: [{ name: 'w3', from: '0.1.0', to: '0.2.0' }] },
    ]);
    expect(plan.downgrade).toBe(false);
    expect(renderUpgradePlan(plan)).toBe(
      [
        'upgrade to 0.2.0:',
        '  step 1: master',
        '    m1: 0.1.0 -> 0.2.0',
        '  step 2: workers (drain, reinstall, uncordon)',
        '    w1: 0.1.0 -> 0.2.0',
        '    w2: 0.1.0 -> 0.2.0',
        '  step 3: workers (drain, reinstall, uncordon)',
        '    w3: 0.1.0 -> 0.2.0',
      ].join('\n'),
    );
  });

  it('resumes: hosts already at the target are skipped, unknown versions are reinstalled', () => {
    const plan = buildUpgradePlan(cluster('0.2.0', '0.2.0', undefined, '0.1.0'), { target: '0.2.0' });
    expect(plan.steps.map((s) => s.hosts.map((h) => `${h.name}:${h.from}`))).toEqual([
      ['w2:unknown'],
      ['w3:0.1.0'],
    ]);
    expect(plan.upToDate).toEqual(['m1', 'w1']);
    const done = buildUpgradePlan(cluster('0.2.0', '0.2.0'), { target: '0.2.0' });
    expect(done.steps).toEqual([]);
    expect(renderUpgradePlan(done)).toContain('nothing to do');
  });

  it('refuses a downgrade unless allowed, and then rolls workers before the master', () => {
    const err = refusal(() => buildUpgradePlan(cluster('0.2.0', '0.2.0'), { target: '0.1.0' }));
    expect(err.exitCode).toBe(2);
    expect(err.message).toBe(
      '0.1.0 is older than 0.2.0 on master m1: refusing a downgrade; pass --allow-downgrade to roll back on purpose',
    );
    // A pre-release is older than its release.
    expect(() => buildUpgradePlan(cluster('0.2.0'), { target: '0.2.0-rc.1' })).toThrow(
      /refusing a downgrade/,
    );
    const plan = buildUpgradePlan(cluster('0.2.0', '0.2.0'), { target: '0.1.0', allowDowngrade: true });
    expect(plan.downgrade).toBe(true);
    expect(plan.steps.map((s) => s.role)).toEqual(['worker', 'master']);
  });

  it('refuses a roll that leaves an agent more than one minor behind the control plane', () => {
    const err = refusal(() => buildUpgradePlan(cluster('0.1.0', '0.1.0'), { target: '0.3.0' }));
    expect(err.message).toBe(
      'worker w1 would run 0.1.0 against the control plane at 0.3.0, more than one minor behind: upgrade one minor at a time (to 0.2.x first)',
    );
    expect(() => buildUpgradePlan(cluster('1.4.0', '1.4.0'), { target: '2.0.0' })).toThrow(
      /more than one minor/,
    );
    // One minor behind is the supported skew.
    expect(buildUpgradePlan(cluster('0.1.0', '0.1.0'), { target: '0.2.5' }).steps).toHaveLength(2);
    // A downgrade by two minors would put agents two behind the still-new control plane.
    expect(() =>
      buildUpgradePlan(cluster('0.3.0', '0.3.0'), { target: '0.1.0', allowDowngrade: true }),
    ).toThrow(/worker w1 would run 0.1.0 against m1 \(0.3.0\)/);
  });

  it('refuses bad flags with the value', () => {
    expect(refusal(() => buildUpgradePlan(cluster('0.1.0'), { target: 'latest' })).message).toBe(
      '--to-version latest: not a version like 1.2.3',
    );
    expect(
      refusal(() => buildUpgradePlan(cluster('0.1.0'), { target: '0.2.0', maxUnavailable: 0 })).message,
    ).toBe('--max-unavailable 0: must be a whole number of at least 1');
  });
});

describe('versions', () => {
  it('orders versions as semver and reads the tugboat version out of a reported one', () => {
    const v = (s: string) => parseVersion(s)!;
    expect(compareVersions(v('0.10.0'), v('0.9.9'))).toBeGreaterThan(0);
    expect(compareVersions(v('1.0.0-rc.1'), v('1.0.0'))).toBeLessThan(0);
    expect(compareVersions(v('v1.2.3'), v('1.2.3'))).toBe(0);
    expect(parseVersion('1.2')).toBeUndefined();
    expect(reportedVersion('32', '0.2.0')).toBe('v1.32.0+tugboat-0.2.0');
    expect(tugboatVersionOf('v1.32.0+tugboat-0.2.0-rc.1')).toBe('0.2.0-rc.1');
    expect(tugboatVersionOf('v1.32.0-tugboat')).toBeUndefined();
    expect(tugboatVersionOf(undefined)).toBeUndefined();
  });
});
