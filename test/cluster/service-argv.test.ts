import { describe, expect, it } from 'vitest';
import { DEFAULT_HOST_LAYOUT } from '../../src/bootstrap/layout.js';
import { renderSupervisorScript, renderSystemdUnit } from '../../src/bootstrap/service-units.js';
import { flagValue, parseServiceCommand } from '../../src/cluster/service-argv.js';

const spec = {
  name: 'tugboat-control-plane',
  description: 'control plane',
  command: [
    '/opt/tugboat/runtime/24/bin/node',
    '/opt/tugboat/bundles/tugboat host.mjs',
    'control-plane',
    '--backup-schedule',
    '0 3 * * *',
    '--odd',
    `it's "quoted" 100% $HOME \\ here`,
    '--etcd-endpoints',
    'https://10.0.0.5:2379,https://10.0.0.6:2379',
  ],
  env: { AWS_REGION: 'eu-west-1', AWS_ENDPOINT_URL: 'http://127.0.0.1:5000' },
};

describe('parseServiceCommand: the command and environment tugboat wrote, read back', () => {
  it.each([
    ['systemd', renderSystemdUnit(spec, DEFAULT_HOST_LAYOUT)],
    ['supervised', renderSupervisorScript(spec, DEFAULT_HOST_LAYOUT)],
  ] as const)('%s', (mode, definition) => {
    const parsed = parseServiceCommand(definition, mode);
    expect(parsed).toEqual({ argv: spec.command, env: spec.env });
    expect(flagValue(parsed!.argv, '--etcd-endpoints')).toBe('https://10.0.0.5:2379,https://10.0.0.6:2379');
    expect(flagValue(parsed!.argv, '--missing')).toBeUndefined();
  });

  it('nothing to read gives undefined', () => {
    expect(parseServiceCommand('', 'systemd')).toBeUndefined();
    expect(parseServiceCommand('#!/bin/sh\n', 'supervised')).toBeUndefined();
  });
});
