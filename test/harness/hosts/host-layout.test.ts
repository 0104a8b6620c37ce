import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildHostLayout, buildPasswd, renderHostInit, shq } from './host-layout.js';
import { gatewayOf, parseCidr } from './subnet-bridge.js';

describe('host layout helpers', () => {
  it('adds missing login users to passwd as root aliases, once', () => {
    const passwd = 'root:x:0:0:root:/root:/bin/bash\nadmin:x:1000:1000::/home/admin:/bin/sh\n';
    const out = buildPasswd(passwd, ['ec2-user', 'admin', 'root']);
    expect(out).toBe(`${passwd}ec2-user:x:0:0:ec2-user:/root:/bin/bash\n`);
    expect(buildPasswd('root:x:0:0::/root:/bin/sh', [])).toBe('root:x:0:0::/root:/bin/sh\n');
  });

  it('derives the gateway from the subnet and refuses what is not an IPv4 subnet', () => {
    expect(gatewayOf('10.0.16.0/20')).toBe('10.0.16.1');
    expect(parseCidr('10.77.1.0/24')).toEqual({ base: [10, 77, 1, 0], prefix: 24 });
    expect(() => parseCidr('fd00::/64')).toThrow(/"fd00::\/64" is not IPv4/);
    expect(() => parseCidr('10.0.0.0/30')).toThrow(/prefix \/30/);
  });

  it('quotes paths for the host init script', () => {
    expect(shq("/tmp/it's here")).toBe(`'/tmp/it'\\''s here'`);
    const script = renderHostInit(
      {
        dir: '/var/tmp/x',
        root: '/var/tmp/x/root',
        sshdConfig: '/var/tmp/x/ssh/sshd_config',
        hostKeyFile: '/var/tmp/x/ssh/key',
        hostPublicKey: 'ssh-ed25519 AAAA',
        passwdFile: '/var/tmp/x/ssh/passwd',
        dockerDataRoot: '/var/tmp/x/docker',
        dockerSocket: '/var/tmp/x/docker.sock',
      },
      'ip-10-0-0-4',
    );
    expect(script).toContain("mount --bind '/var/tmp/x/root/etc/tugboat' /etc/tugboat");
    expect(script).toContain("mount --bind '/var/tmp/x/root/run/tugboat' /run/tugboat");
    expect(script.indexOf('-t tmpfs')).toBeLessThan(script.indexOf('/run/tugboat'));
    expect(script.trim().split('\n').at(-1)).toBe(
      "exec /usr/sbin/sshd -D -e -f '/var/tmp/x/ssh/sshd_config'",
    );
  });

  it('renders copy-on-write overlays of the parents instead of bind mounts in overlay mode', () => {
    const layout = {
      dir: '/var/tmp/x',
      root: '/var/tmp/x/root',
      sshdConfig: '/var/tmp/x/ssh/sshd_config',
      hostKeyFile: '/var/tmp/x/ssh/key',
      hostPublicKey: 'ssh-ed25519 AAAA',
      passwdFile: '/var/tmp/x/ssh/passwd',
      dockerDataRoot: '/var/tmp/x/docker',
      dockerSocket: '/var/tmp/x/docker.sock',
    };
    const script = renderHostInit(layout, 'ip-10-0-0-4', 'overlay');
    expect(script).toContain(
      "mount -t overlay tugboat-host -o 'lowerdir=/var/lib,upperdir=/var/tmp/x/root/var/lib,workdir=/var/tmp/x/overlay-work/var/lib' /var/lib",
    );
    expect(script).not.toContain('tugboat /etc/tugboat');
    expect(script).not.toContain('/run/tugboat');
    // /etc/passwd is bound over the overlay, not hidden under it.
    expect(script.indexOf('-t overlay')).toBeLessThan(script.indexOf('/etc/passwd'));
    expect(script).not.toContain('/usr/bin');
    const hiding = renderHostInit({ ...layout, hiddenCommands: ['node'] }, 'ip-10-0-0-4', 'overlay');
    expect(hiding).toContain(
      "mount -t overlay tugboat-host -o 'lowerdir=/usr/bin,upperdir=/var/tmp/x/root/usr/bin,workdir=/var/tmp/x/overlay-work/usr/bin' /usr/bin",
    );
  });

  it("gives every SSH session the host's environment (sshd SetEnv) and refuses values sshd would misread", () => {
    const dir = mkdtempSync(join(tmpdir(), 'tugboat-template-layout-'));
    try {
      const base = { instanceId: 'i-1', authorizedKeys: [], loginUsers: [] };
      const layout = buildHostLayout({
        ...base,
        dir: join(dir, 'a'),
        sessionEnv: { AWS_ENDPOINT_URL: 'http://127.0.0.1:4566' },
      });
      expect(readFileSync(layout.sshdConfig, 'utf8')).toContain(
        '\nSetEnv AWS_ENDPOINT_URL=http://127.0.0.1:4566\n',
      );
      expect(() => buildHostLayout({ ...base, dir: join(dir, 'b'), sessionEnv: { X: 'a b' } })).toThrow(
        /sessionEnv X=a b: not a plain name and value/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
