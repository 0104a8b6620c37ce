/** `uninstall`'s removal of the service proxy's rules, through a shell inside a namespace this test makes. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandIptables } from '../../src/agent/network/service-proxy/iptables.js';
import { buildServicePorts } from '../../src/agent/network/service-proxy/model.js';
import { RuleSyncer } from '../../src/agent/network/service-proxy/sync-rules.js';
import { removeHostServiceRules } from '../../src/bootstrap/service-rules.js';
import { LocalShell } from '../../src/ssh/local-shell.js';
import { quote } from '../../src/ssh/quote.js';
import type { ExecOptions, RemoteShell } from '../../src/ssh/remote-shell.js';
import { byKey, endpoints, service } from '../agent/network/service-proxy/fixtures.js';
import { NetnsLab } from '../agent/network/service-proxy/netns-lab.js';

const lab = new NetnsLab('u');

/** A host shell whose commands run in the lab's node namespace. */
function nodeShell(): RemoteShell {
  const local = new LocalShell({ host: 'lab-node' });
  return {
    host: 'lab-node',
    exec: (command: string, options?: ExecOptions) =>
      local.exec(`exec nsenter --net=/run/netns/${lab.node} /bin/sh -c ${quote(command)}`, options),
    upload: (s, p, m) => local.upload(s, p, m),
    close: () => local.close(),
  };
}

describe('removeHostServiceRules', () => {
  beforeAll(async () => {
    await lab.create(0);
  }, 60_000);
  afterAll(async () => {
    await lab.destroy();
  });

  it('removes the proxy’s chains and jumps over a host shell and keeps the rest', async () => {
    lab.inNode('iptables', '-A', 'FORWARD', '-i', 'docker0', '-j', 'ACCEPT');
    const svc = service('web', '10.96.0.40', [{ port: 80, nodePort: 30100 }], { type: 'NodePort' });
    const ep = endpoints('web', ['10.244.1.2'], [], [{ port: 8080 }]);
    await new RuleSyncer(commandIptables({ prefix: ['nsenter', `--net=/run/netns/${lab.node}`] })).sync(
      buildServicePorts([svc], byKey(ep)),
      true,
    );
    expect(lab.inNode('iptables-save')).toContain('TUGBOAT-SVC-');
    await removeHostServiceRules(nodeShell());
    const after = lab.inNode('iptables-save');
    expect(after).not.toContain('TUGBOAT');
    expect(after).toContain('-A FORWARD -i docker0 -j ACCEPT');
    // Nothing of ours left: a second run is a no-op.
    await removeHostServiceRules(nodeShell());
  }, 60_000);
});
