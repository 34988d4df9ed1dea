// Failed log-ins are limited per account AND address, plus a slower budget per
// account that never applies to an address its owner has logged in from: an
// attacker who knows someone's email cannot lock them out.
import { describe, expect, it } from 'vitest';
import { rateLimited, requestFrom, serverFor } from '../helpers/limits.js';
import { LogIn } from '../helpers/operations.js';
import { signUp, type TestUser } from '../helpers/users.js';

describe('log-in lock-out', () => {
  // Loopback is trusted as a proxy, so each request can say which client it is for.
  const logins = serverFor({
    TRUST_PROXY: 'loopback',
    RATE_LOGIN_PER_ACCOUNT_PER_15_MINUTES: '3',
    RATE_LOGIN_PER_ACCOUNT_PER_DAY: '5',
    RATE_LOGIN_PER_IP_PER_15_MINUTES: '100',
  });

  const attempt = (url: string, from: string, user: TestUser, password: string) =>
    requestFrom('127.0.0.1', url, LogIn, { input: { email: user.email, password } }, undefined, {
      'x-forwarded-for': from,
    });
  const refused = rateLimited('Too many failed log-ins; try again later.');

  it("an attacker's failures lock out the attacker's address, never the owner's", async () => {
    const { url } = logins();
    const owner = await signUp(url, 'owner');
    const home = '198.51.100.7';
    expect((await attempt(url, home, owner, 'correct horse')).data?.logIn.user.id).toBe(owner.id);

    // Three failures from one address: that address is refused for this account...
    for (let i = 0; i < 3; i++) {
      const failed = await attempt(url, '203.0.113.1', owner, 'guess');
      expect(failed.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    }
    expect((await attempt(url, '203.0.113.1', owner, 'correct horse')).errors).toEqual(refused);
    // ...while the owner, and the owner on a new device elsewhere, log in.
    expect((await attempt(url, home, owner, 'correct horse')).data?.logIn.user.id).toBe(owner.id);
    expect((await attempt(url, '192.0.2.44', owner, 'correct horse')).errors).toBeUndefined();

    // Spread over more addresses the attacker spends the account's daily budget (5):
    for (const from of ['203.0.113.2', '203.0.113.3']) {
      const failed = await attempt(url, from, owner, 'guess');
      expect(failed.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    }
    // now an address the account never logged in from is refused, even with the password,
    expect((await attempt(url, '203.0.113.50', owner, 'correct horse')).errors).toEqual(refused);
    // and the addresses its owner logged in from still work.
    expect((await attempt(url, home, owner, 'correct horse')).data?.logIn.user.id).toBe(owner.id);
    expect((await attempt(url, '192.0.2.44', owner, 'correct horse')).errors).toBeUndefined();

    // Other accounts are not affected anywhere.
    const other = await signUp(url, 'other');
    expect((await attempt(url, '203.0.113.50', other, 'correct horse')).errors).toBeUndefined();
  });
});
