import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';

describe('tugboat control-plane controller flags', () => {
  it('rejects a duration that is not a positive number of seconds, naming the flag', async () => {
    const r = await runCli([
      'control-plane',
      '--insecure-loopback-http',
      '--listen',
      '127.0.0.1:1',
      '--pod-eviction-timeout',
      'soon',
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      '--pod-eviction-timeout "soon" is not a positive number of seconds: use e.g. --pod-eviction-timeout 60',
    );
  });

  it('rejects a metric resolution that is not a positive number of seconds', async () => {
    const r = await runCli([
      'control-plane',
      '--insecure-loopback-http',
      '--listen',
      '127.0.0.1:1',
      '--metric-resolution',
      '0',
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      '--metric-resolution "0" is not a positive number of seconds: use e.g. --metric-resolution 15',
    );
  });

  it.each([
    ['--horizontal-pod-autoscaler-sync-period', '15', 'is not a duration'],
    ['--horizontal-pod-autoscaler-sync-period', '0s', 'must be at least 1ms'],
    ['--horizontal-pod-autoscaler-downscale-stabilization', '5 minutes', 'is not a duration'],
  ])('rejects %s %j as a Go duration, naming the flag', async (flag, value, why) => {
    const r = await runCli([
      'control-plane',
      '--insecure-loopback-http',
      '--listen',
      '127.0.0.1:1',
      flag,
      value,
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${flag} "${value}" ${why}: give a duration such as 90s, 10m or 1h30m`);
  });

  it.each([
    [
      ['--etcd-endpoints', 'https://127.0.0.1:1'],
      'https:// etcd endpoints and --etcd-certfile need --etcd-cafile',
    ],
    [
      [
        '--etcd-endpoints',
        'https://127.0.0.1:1',
        '--etcd-cafile',
        'package.json',
        '--etcd-certfile',
        'package.json',
      ],
      '--etcd-certfile and --etcd-keyfile go together',
    ],
    [
      ['--etcd-endpoints', 'http://127.0.0.1:1', '--etcd-cafile', 'package.json'],
      '--etcd-cafile is for https://',
    ],
    [['--etcd-endpoints', '127.0.0.1:2379'], '--etcd-endpoints: "127.0.0.1:2379" is not an etcd client URL'],
    ...['-1', 'soon', ''].map((value): [string[], string] => [
      ['--etcd-endpoints', 'http://127.0.0.1:1', '--etcd-endpoint-sync-interval', value],
      `--etcd-endpoint-sync-interval "${value}" is not a number of seconds: use e.g. 60, or 0 to keep --etcd-endpoints`,
    ]),
  ])('refuses inconsistent etcd endpoint and TLS flags %j before connecting', async (flags, message) => {
    const r = await runCli([
      'control-plane',
      '--insecure-loopback-http',
      '--listen',
      '127.0.0.1:1',
      '--no-controllers',
      '--store',
      'etcd',
      ...flags,
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
  });

  it('documents the controller flags in --help', async () => {
    const r = await runCli(['control-plane', '--help']);
    expect(r.stdout).toContain('--no-controllers');
    expect(r.stdout).toContain('--node-monitor-grace-period <seconds>');
    expect(r.stdout).toContain('--metric-resolution <seconds>');
    expect(r.stdout).toContain('--etcd-endpoint-sync-interval <seconds>');
    expect(r.stdout).toContain('--horizontal-pod-autoscaler-sync-period <duration>');
    expect(r.stdout).toContain('--horizontal-pod-autoscaler-downscale-stabilization <duration>');
  });
});
