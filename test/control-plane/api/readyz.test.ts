import { describe, expect, it } from 'vitest';
import { renderControlPlane } from '../../../src/cli/support/format-cluster.js';
import { parseReadyz } from '../../../src/cluster/control-plane-checks.js';
import { renderReadyz } from '../../../src/control-plane/api/nonresource.js';

const lost = {
  name: 'etcd',
  ok: false,
  detail:
    'etcd has lost quorum: no member can serve a read, 2 of 3 needed to write; down: m2 (https://10.0.2.5:2379: refused)',
};

describe('/readyz (kube-apiserver format) with the store check', () => {
  it('plain ok; verbose lists the checks, the store with its detail', () => {
    expect(renderReadyz(true, undefined, false)).toEqual({ code: 200, text: 'ok' });
    const store = { name: 'etcd', ok: true, detail: '3/3 etcd members healthy' };
    expect(renderReadyz(true, store, false)).toEqual({ code: 200, text: 'ok' });
    expect(renderReadyz(true, store, true)).toEqual({
      code: 200,
      text: '[+]ping ok\n[+]etcd ok: 3/3 etcd members healthy\nreadyz check passed\n',
    });
  });

  it('a store without quorum fails with 500 and the reason, verbose or not', () => {
    for (const verbose of [false, true])
      expect(renderReadyz(true, lost, verbose)).toEqual({
        code: 500,
        text: `[+]ping ok\n[-]etcd failed: ${lost.detail}\nreadyz check failed\n`,
      });
  });

  it('not bootstrapped yet: 503 whatever the store says', () => {
    expect(renderReadyz(false, lost, true)).toEqual({ code: 503, text: 'not ready: bootstrapping' });
  });

  it('parseReadyz reads back the store line; a body without one is reported as it came', () => {
    const failed = renderReadyz(true, lost, true);
    expect(parseReadyz(failed.code, failed.text)).toEqual({ ready: false, store: lost });
    expect(parseReadyz(200, 'ok')).toEqual({ ready: true });
    expect(parseReadyz(503, 'not ready: bootstrapping')).toEqual({
      ready: false,
      error: 'HTTP 503: not ready: bootstrapping',
    });
  });

  it('status shows each master and the store detail once', () => {
    const check = (n: number) => ({
      host: `m${n}`,
      server: `https://10.0.${n}.5:6443`,
      answered: true,
      ready: false,
      store: lost,
    });
    expect(
      renderControlPlane([
        check(1),
        {
          host: 'm2',
          server: 'https://10.0.2.5:6443',
          answered: false,
          ready: false,
          error: 'connect ECONNREFUSED',
        },
        check(3),
      ]),
    ).toBe(
      [
        'MASTER  API SERVER             READY',
        'm1      https://10.0.1.5:6443  no',
        'm2      https://10.0.2.5:6443  no answer (connect ECONNREFUSED)',
        'm3      https://10.0.3.5:6443  no',
        `etcd: ${lost.detail}`,
      ].join('\n'),
    );
  });
});
