import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parseBootSpecFlags } from '../../src/boot/boot-flags.js';
import { BOOT_TEMPLATE_CONTEXT } from '../../src/boot/user-data.js';
import { hostMain } from '../../src/cli/host-main.js';
import { buildBootArgs } from '../../src/provision/template/boot-args.js';
import { buildTemplate } from '../../src/provision/template/index.js';
import { freePort } from '../harness/process.js';
import { type ExampleName, loadExample } from '../support/examples.js';
import { capturingIo } from '../support/host-io.js';

/** The words the boot script's `set -- "$@" ...` line adds, as sh reads them. */
function scriptArgs(example: ExampleName, logicalId: string): string[] {
  const lt = buildTemplate(loadExample(example), BOOT_TEMPLATE_CONTEXT).Resources[logicalId]!;
  const script = (lt.Properties.LaunchTemplateData as { UserData: { 'Fn::Base64': { 'Fn::Sub': string } } })
    .UserData['Fn::Base64']['Fn::Sub'];
  const line = script.split('\n').find((l) => l.startsWith('set -- "$@" '));
  if (!line) return [];
  return execFileSync('sh', ['-c', `set --; ${line}; printf '%s\\n' "$@"`], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean);
}

/** `boot` in-process with these flags and no metadata service: it gets past flag parsing or says why not. */
async function boot(args: readonly string[]) {
  const { io, stderr } = capturingIo({
    AWS_EC2_METADATA_SERVICE_ENDPOINT: `http://127.0.0.1:${await freePort()}`,
  });
  const code = await hostMain(['boot', '--cluster', 'c1', '--region', 'us-east-1', ...args], io);
  return { code, stderr: stderr() };
}

describe("the spec's settings in user-data (boot flags)", () => {
  it("a worker group's labels and taints, a group with eip: true, the master's ranges and API name", () => {
    expect(scriptArgs('three-az', 'WorkerGroupComputeLaunchTemplate')).toEqual([
      '--labels',
      'workload=batch',
    ]);
    expect(scriptArgs('three-az', 'WorkerGroupArmLaunchTemplate')).toEqual([
      '--taint',
      'arch=arm64:NoSchedule',
    ]);
    expect(scriptArgs('three-az', 'WorkerGroupGeneralLaunchTemplate')).toEqual([]);
    expect(scriptArgs('route53-eip', 'WorkerGroupEdgeLaunchTemplate')).toEqual(['--eip']);
    expect(scriptArgs('route53-eip', 'MasterLaunchTemplate').join(' ')).toBe(
      '--pod-cidr 10.244.0.0/16 --node-pod-cidr-prefix 24 --service-cidr 10.96.0.0/12 --api-dns api.route53-eip.example.com',
    );
  });

  it("an etcd cluster's masters are told the store and the master count: a replaced one joins etcd, not the S3 state; a new one forms it when no SSH bootstrap does", () => {
    expect(scriptArgs('ha-masters', 'MasterLaunchTemplate').join(' ')).toBe(
      '--pod-cidr 10.244.0.0/16 --node-pod-cidr-prefix 24 --service-cidr 10.96.0.0/12 --api-dns api.ha-masters.example.com --store etcd --masters 3',
    );
    expect(parseBootSpecFlags({ store: 'etcd', masters: '3' })).toEqual({ store: 'etcd', masters: 3 });
    for (const bad of ['2', '0', 'three', '7', '1.5'])
      expect(() => parseBootSpecFlags({ store: 'etcd', masters: bad })).toThrow(
        `--masters "${bad}" is not a master count: use 1, 3 or 5 (master.count)`,
      );
    // One master on the embedded store: no --store, so templates rendered before stay unchanged.
    expect(scriptArgs('route53-eip', 'MasterLaunchTemplate')).not.toContain('--store');
    expect(parseBootSpecFlags({ store: 'etcd' })).toEqual({ store: 'etcd' });
    expect(parseBootSpecFlags({ store: 'embedded' })).toEqual({});
  });

  it("the spec's backup reaches a booting master of either store, and reads back", async () => {
    for (const store of ['embedded', 'etcd'] as const) {
      const spec = { ...loadExample('ha-masters'), store, backup: { schedule: '0 3 * * *', retain: 5 } };
      const words = buildBootArgs(spec, 'master');
      expect(words.join(' ')).toContain('--backup-schedule 0 3 * * * --backup-retain 5');
      const at = words.indexOf('--backup-schedule');
      expect(
        parseBootSpecFlags({ backupSchedule: words[at + 1], backupRetain: words[at + 3], store }),
      ).toEqual({ ...(store === 'etcd' ? { store } : {}), backup: { schedule: '0 3 * * *', retain: 5 } });
    }
    // Without backup: nothing, so templates rendered before stay unchanged.
    expect(buildBootArgs(loadExample('ha-masters'), 'master')).not.toContain('--backup-schedule');
    // The host bundle takes them: past the flags it stops only at the (absent) metadata service.
    const r = await boot(['--role', 'master', '--backup-schedule', '0 3 * * *', '--backup-retain', '5']);
    expect(r.stderr).toContain('is unreachable');
  });

  it('what the template passes reads back as the spec said', () => {
    const spec = loadExample('three-az');
    const words = buildBootArgs(spec, 'worker', 'arm');
    const taint = words.filter((_, i) => words[i - 1] === '--taint');
    expect(parseBootSpecFlags({ taint })).toEqual({ taints: ['arch=arm64:NoSchedule'] });
    const m = buildBootArgs(spec, 'master');
    expect(parseBootSpecFlags({ podCidr: m[1], nodePodCidrPrefix: m[3], serviceCidr: m[5] })).toEqual({
      podNetwork: { podCidr: spec.network.podCidr, nodePodCidrPrefix: spec.network.nodePodCidrPrefix },
      serviceCidr: spec.network.serviceCidr,
    });
    expect(
      parseBootSpecFlags({ labels: 'a=1,example.com/b=2', eip: true, apiDns: 'api.x.example.com.' }),
    ).toEqual({
      labels: { a: '1', 'example.com/b': '2' },
      eip: true,
      apiDns: 'api.x.example.com',
    });
  });

  it('the host bundle takes every flag the template writes', async () => {
    for (const [example, id, role] of [
      ['route53-eip', 'MasterLaunchTemplate', 'master'],
      ['ha-masters', 'MasterLaunchTemplate', 'master'],
      ['route53-eip', 'WorkerGroupEdgeLaunchTemplate', 'worker'],
      ['three-az', 'WorkerGroupComputeLaunchTemplate', 'worker'],
      ['three-az', 'WorkerGroupArmLaunchTemplate', 'worker'],
    ] as const) {
      const r = await boot(['--role', role, ...scriptArgs(example, id)]);
      // Past the flags: it stops only at the (absent) metadata service.
      expect(r.stderr, `${example} ${id}`).toContain('is unreachable');
      expect(r.code).not.toBe(0);
    }
  });

  it.each([
    [['--pod-cidr', '10.244.0.1/16'], '--pod-cidr "10.244.0.1/16" is not an IPv4 network'],
    [['--service-cidr', 'ten'], '--service-cidr "ten" is not an IPv4 network'],
    [['--pod-cidr', '10.244.0.0/16', '--node-pod-cidr-prefix', '12'], 'must be a whole number from 16'],
    [['--node-pod-cidr-prefix', '24'], '--node-pod-cidr-prefix needs --pod-cidr'],
    [['--taint', 'dedicated=web:Sometimes'], 'invalid taint "dedicated=web:Sometimes"'],
    [['--labels', 'novalue'], 'invalid label "novalue"'],
    [['--api-dns', 'API.Example.com'], '--api-dns "API.Example.com" is not a lowercase DNS name'],
    [['--store', 'sqlite'], '--store "sqlite" is not a store: use embedded or etcd'],
    [['--backup-schedule', '61 * * * *'], '--backup-schedule "61 * * * *" is not a cron schedule'],
    [['--backup-schedule', '@daily', '--backup-retain', '0'], '--backup-retain "0" is not a whole number'],
    [['--backup-retain', '3'], '--backup-retain needs --backup-schedule'],
  ])('refuses %j before it does anything', async (args, message) => {
    const r = await boot(['--role', 'master', ...args]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stderr).not.toContain('boots as');
  });
});
