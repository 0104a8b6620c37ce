import { afterEach, describe, expect, it, vi } from 'vitest';
import { EtcdClient } from '../../../src/control-plane/store/etcd-client.js';
import {
  MAX_SYNCED_ENDPOINTS,
  pickMemberEndpoints,
  startEndpointSync,
  syncEtcdEndpoints,
} from '../../../src/control-plane/store/etcd-sync.js';

describe('pickMemberEndpoints', () => {
  it('takes started voting members with URLs of the configured scheme, deduplicated', () => {
    const picked = pickMemberEndpoints(
      [
        { name: 'a', clientURLs: ['https://10.0.0.1:2379', 'http://10.0.0.1:2380'] },
        { name: '', clientURLs: ['https://10.0.0.9:2379'] }, // added, never started
        { name: 'l', isLearner: true, clientURLs: ['https://10.0.0.8:2379'] },
        { name: 'b', clientURLs: ['https://10.0.0.2:2379', 'https://10.0.0.1:2379'] },
        { name: 'c', clientURLs: ['not a url', 'unix:///run/etcd.sock', 'https://10.0.0.3:2379'] },
        { name: 'd' }, // no client URLs at all
      ],
      'https:',
    );
    expect(picked).toEqual(['https://10.0.0.1:2379', 'https://10.0.0.2:2379', 'https://10.0.0.3:2379']);
  });

  it(`keeps at most ${MAX_SYNCED_ENDPOINTS}`, () => {
    const members = Array.from({ length: 40 }, (_, i) => ({
      name: `m${i}`,
      clientURLs: [`http://127.0.0.1:${20000 + i}`],
    }));
    const picked = pickMemberEndpoints(members, 'http:');
    expect(picked).toHaveLength(MAX_SYNCED_ENDPOINTS);
    expect(picked[0]).toBe('http://127.0.0.1:20000');
  });

  it('nothing usable gives an empty list (the caller keeps its own)', () => {
    expect(pickMemberEndpoints([{ name: 'a', clientURLs: ['http://10.0.0.1:2379'] }], 'https:')).toEqual([]);
    expect(pickMemberEndpoints([], 'https:')).toEqual([]);
  });
});

describe('EtcdClient.setEndpoints', () => {
  let client: EtcdClient | undefined;
  afterEach(() => client?.close());

  it('deduplicates, and refuses an empty or malformed list without changing anything', () => {
    client = new EtcdClient({ endpoints: ['http://127.0.0.1:1'] });
    client.setEndpoints(['http://127.0.0.1:2', 'http://127.0.0.1:3', 'http://127.0.0.1:2']);
    expect(client.endpoints).toEqual(['http://127.0.0.1:2', 'http://127.0.0.1:3']);
    expect(() => client!.setEndpoints([])).toThrow(/cannot be empty/);
    expect(() => client!.setEndpoints(['http://127.0.0.1:4', 'nope'])).toThrow(/"nope" is not a URL/);
    expect(() => client!.setEndpoints(['ftp://127.0.0.1:4'])).toThrow(/must be http:\/\/ or https:\/\//);
    expect(client.endpoints).toEqual(['http://127.0.0.1:2', 'http://127.0.0.1:3']);
  });

  it('tells listeners, and nothing after close', () => {
    client = new EtcdClient({ endpoints: ['http://127.0.0.1:1'] });
    const seen: string[][] = [];
    client.onEndpointsChanged(() => seen.push([...client!.endpoints]));
    client.setEndpoints(['http://127.0.0.1:2']);
    client.close();
    client.setEndpoints(['http://127.0.0.1:3']);
    expect(seen).toEqual([['http://127.0.0.1:2']]);
  });
});

describe('startEndpointSync timing', () => {
  afterEach(() => vi.useRealTimers());

  /** A client that only counts member-list calls (each fails, so the list is kept). */
  function countingClient() {
    const calls: unknown[] = [];
    const client = {
      endpoints: ['http://127.0.0.1:1'],
      unary: (...args: unknown[]) => {
        calls.push(args);
        return Promise.reject(new Error('14 UNAVAILABLE: No connection established'));
      },
      setEndpoints: () => {
        throw new Error('must not be called');
      },
    } as unknown as EtcdClient;
    return { client, calls };
  }

  it('interval 0 never syncs', async () => {
    vi.useFakeTimers();
    const { client, calls } = countingClient();
    const stop = startEndpointSync(client, { intervalMs: 0 });
    await vi.advanceTimersByTimeAsync(3_600_000);
    stop();
    expect(calls).toEqual([]);
  });

  it('syncs once per interval, and not after stop', async () => {
    vi.useFakeTimers();
    const { client, calls } = countingClient();
    const stop = startEndpointSync(client, { intervalMs: 60_000 });
    await vi.advanceTimersByTimeAsync(59_000);
    expect(calls).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(120_000);
    expect(calls).toHaveLength(3);
    stop();
    await vi.advanceTimersByTimeAsync(600_000);
    expect(calls).toHaveLength(3);
  });
});

describe('syncEtcdEndpoints on a closed client', () => {
  it('keeps quiet: a store that closed mid-sync reports no failure', async () => {
    const client = new EtcdClient({ endpoints: ['http://127.0.0.1:1'] });
    client.close();
    const events: unknown[] = [];
    expect(await syncEtcdEndpoints(client, 'http:', { emit: (e) => events.push(e) })).toBeUndefined();
    expect(events).toEqual([]);
    expect(client.isClosed).toBe(true);
  });
});
