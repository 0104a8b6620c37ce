import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { DashboardSessions, foreignRequest, SESSION_COOKIE } from '../../src/dashboard/session.js';

const req = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage;
const ours = ['127.0.0.1:4100', 'localhost:4100'];

describe('dashboard login and request origin', () => {
  it.each([
    [{ host: '127.0.0.1:4100' }, undefined],
    [{ host: 'localhost:4100', origin: 'http://localhost:4100' }, undefined],
    [{ host: '127.0.0.1:4100', 'sec-fetch-site': 'same-origin' }, undefined],
    [{ host: '127.0.0.1:4100', 'sec-fetch-site': 'none' }, undefined],
    [{ host: 'evil.example:4100' }, 'host "evil.example:4100" is not this dashboard'],
    [{ host: '127.0.0.1:4100.evil.example' }, 'is not this dashboard'],
    [{ host: '127.0.0.1:4101' }, 'is not this dashboard'],
    [{}, 'host "" is not this dashboard'],
    [{ host: '127.0.0.1:4100', origin: 'null' }, 'origin "null" is not this dashboard'],
    [{ host: '127.0.0.1:4100', origin: 'http://127.0.0.1:4100/' }, 'is not this dashboard'],
    [{ host: '127.0.0.1:4100', origin: 'https://127.0.0.1:4100' }, 'is not this dashboard'],
    [{ host: '127.0.0.1:4100', origin: 'http://localhost:4100' }, 'is not this dashboard'],
    [{ host: '127.0.0.1:4100', 'sec-fetch-site': 'same-site' }, 'cross-site request (same-site)'],
    [{ host: '127.0.0.1:4100', 'sec-fetch-site': 'cross-site' }, 'cross-site request (cross-site)'],
  ])('%j → %s', (headers, refused) => {
    const reason = foreignRequest(req(headers), ours);
    if (refused === undefined) expect(reason).toBeUndefined();
    else expect(reason).toContain(refused);
  });

  it('exchanges the token once, and only the exact token', () => {
    const sessions = new DashboardSessions();
    const token = sessions.loginToken ?? '';
    expect(token).toMatch(/^[\w-]{43}$/);
    expect(sessions.exchange(null)).toBeUndefined();
    expect(sessions.exchange(`${token}x`)).toBeUndefined();
    expect(sessions.exchange(token.slice(0, -1))).toBeUndefined();
    const id = sessions.exchange(token) ?? '';
    expect(id).toMatch(/^[\w-]{43}$/);
    expect(sessions.exchange(token)).toBeUndefined();
    expect(sessions.loginToken).toBeUndefined();
    expect(sessions.authenticated(req({ cookie: `a=b; ${SESSION_COOKIE}=${id}` }))).toBe(true);
    expect(sessions.authenticated(req({ cookie: `${SESSION_COOKIE}=${id}x` }))).toBe(false);
    expect(sessions.authenticated(req({}))).toBe(false);
    expect(DashboardSessions.cookie(id)).toBe(`${SESSION_COOKIE}=${id}; HttpOnly; SameSite=Strict; Path=/`);
  });
});
