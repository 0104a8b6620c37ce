import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { relayWebSocket, sendableCloseCode } from '../../../src/control-plane/api/agent-websocket.js';

// The API server relays `kubectl exec` / `attach` / `port-forward` WebSockets to the agent. When the
// agent was killed with -9 mid-session, its side closed with 1006 (abnormal closure) and the relay
// passed that code on: ws throws on a code no endpoint may send, and the API server process died.

let agent: WebSocketServer;
let relay: Server;
let relayUrl: string;

/** What the agent does with the next session: drop it, or close it with a code. */
let agentEnds: (ws: WebSocket) => void;

beforeAll(async () => {
  agent = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((r) => agent.once('listening', r));
  const agentPort = (agent.address() as AddressInfo).port;
  agent.on('connection', (ws) => ws.once('message', () => agentEnds(ws)));
  relay = createServer((_req, res) => res.end('ok'));
  relay.on('upgrade', (req, socket, head) => {
    const upstream = new WebSocket(`ws://127.0.0.1:${agentPort}/`);
    upstream.once('open', () => relayWebSocket(upstream, req, socket, head, ''));
    upstream.once('error', () => socket.destroy());
  });
  await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
  relayUrl = `ws://127.0.0.1:${(relay.address() as AddressInfo).port}/`;
});

afterAll(async () => {
  relay?.closeAllConnections();
  await new Promise((r) => relay?.close(r));
  await new Promise((r) => agent?.close(r));
});

/** Opens a session through the relay, sends one message, and resolves with how it closed. */
async function sessionEnding(ends: (ws: WebSocket) => void): Promise<{ code: number; reason: string }> {
  agentEnds = ends;
  const client = new WebSocket(relayUrl);
  client.on('error', () => undefined);
  await new Promise((r) => client.once('open', r));
  client.send('hello');
  return new Promise((resolve) =>
    client.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
}

describe('relayWebSocket', () => {
  it('drops the client when the agent vanishes (1006), and keeps serving', async () => {
    expect(await sessionEnding((ws) => ws.terminate())).toEqual({ code: 1006, reason: '' });
    // Still alive: the next sessions relay as before.
    expect(await sessionEnding((ws) => ws.close(4000, 'bye'))).toEqual({ code: 4000, reason: 'bye' });
    expect(await sessionEnding((ws) => ws.close())).toEqual({ code: 1000, reason: '' });
    expect(await sessionEnding((ws) => ws.close(1011, 'agent error'))).toEqual({
      code: 1011,
      reason: 'agent error',
    });
  });

  it('knows which close codes may be sent', () => {
    const codes = [999, 1000, 1003, 1004, 1005, 1006, 1007, 1014, 1015, 2999, 3000, 4999, 5000];
    expect(codes.filter(sendableCloseCode)).toEqual([1000, 1003, 1007, 1014, 3000, 4999]);
  });
});
