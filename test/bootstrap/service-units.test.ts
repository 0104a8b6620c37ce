import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildHostLayout } from '../../src/bootstrap/layout.js';
import {
  renderSupervisorScript,
  renderSystemdUnit,
  type ServiceSpec,
  systemdWord,
  validateServiceSpec,
} from '../../src/bootstrap/service-units.js';

const dir = mkdtempSync(join(tmpdir(), `tugboat-units-${process.pid}-`));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const layout = buildHostLayout();
const spec: ServiceSpec = {
  name: 'tugboat-control-plane',
  description: 'tugboat control plane',
  command: [
    '/usr/bin/node',
    '/opt/tugboat/bundles/control-plane-3f2a.mjs',
    '--config',
    '/etc/tugboat/control-plane.yaml',
    '100%',
    '$HOME',
  ],
  env: { NODE_ENV: 'production' },
};

describe('systemd unit', () => {
  const unit = renderSystemdUnit(spec, layout);

  it('restarts always, logs to the journal and escapes $ and % so systemd expands nothing', () => {
    expect(unit).toContain(
      'ExecStart="/usr/bin/node" "/opt/tugboat/bundles/control-plane-3f2a.mjs" "--config" "/etc/tugboat/control-plane.yaml" "100%%" "$$HOME"',
    );
    expect(unit).toContain('Restart=always');
    expect(unit).toContain('StandardOutput=journal');
    expect(unit).toContain('SyslogIdentifier=tugboat-control-plane');
    expect(unit).toContain('Environment="NODE_ENV=production"');
    expect(unit).toContain('WorkingDirectory=/var/lib/tugboat');
  });

  it('passes systemd-analyze verify', () => {
    const file = join(dir, 'tugboat-control-plane.service');
    writeFileSync(file, unit);
    expect(() =>
      execFileSync('systemd-analyze', ['verify', '--man=no', file], { stdio: 'pipe', timeout: 60_000 }),
    ).not.toThrow();
  });

  it('quotes words with backslashes and double quotes', () => {
    expect(systemdWord('a "b" \\c')).toBe('"a \\"b\\" \\\\c"');
  });
});

describe('supervisor script', () => {
  const script = renderSupervisorScript(spec, layout);

  it('is valid sh and quotes the command for sh', () => {
    const file = join(dir, 'supervise.sh');
    writeFileSync(file, script);
    expect(() => execFileSync('/bin/sh', ['-n', file])).not.toThrow();
    expect(script).toContain(
      `/usr/bin/node /opt/tugboat/bundles/control-plane-3f2a.mjs --config /etc/tugboat/control-plane.yaml 100% '$HOME' </dev/null`,
    );
    expect(script).toContain('pidfile=/run/tugboat/tugboat-control-plane.pid');
    expect(script).toContain('export NODE_ENV=production');
  });
});

describe('validateServiceSpec', () => {
  it('refuses names, paths and values systemd or sh would misread', () => {
    expect(() => validateServiceSpec({ ...spec, name: 'Bad Name' })).toThrow(/service name "Bad Name"/);
    expect(() => validateServiceSpec({ ...spec, command: ['node', 'x'] })).toThrow(
      /must be an absolute path/,
    );
    expect(() => validateServiceSpec({ ...spec, command: ['/bin/x', 'a\nb'] })).toThrow(/newline or NUL/);
    expect(() => validateServiceSpec({ ...spec, env: { TOKEN: 'a b' } })).toThrow(/put the value in a file/);
    expect(() => validateServiceSpec({ ...spec, env: { '1X': 'a' } })).toThrow(/environment name "1X"/);
  });
});
