// Which address a per-IP limit counts, from a trusted proxy's headers: the
// standard Forwarded header names the client as X-Forwarded-For does.
import { describe, expect, it } from 'vitest';
import { rateLimited, requestFrom, serverFor } from '../helpers/limits.js';
import { LogIn } from '../helpers/operations.js';
import { signUp } from '../helpers/users.js';

describe('client address behind a trusted proxy', () => {
  const server = serverFor({ TRUST_PROXY: 'loopback', RATE_LOGIN_PER_IP_PER_15_MINUTES: '2' });

  it('reads Forwarded (for=, with quotes, brackets and ports) as it reads X-Forwarded-For', async () => {
    const { url } = server();
    const user = await signUp(url, 'forwarded');
    const logIn = (headers: Record<string, string>, password = 'wrong guess') =>
      requestFrom('127.0.0.1', url, LogIn, { input: { email: user.email, password } }, undefined, {
        ...headers,
      });
    // Two failures from 2001:db8::1, named two ways: its budget is spent.
    await logIn({ forwarded: 'for="[2001:db8::1]:4711";proto=https' });
    await logIn({ 'x-forwarded-for': '2001:db8::1' });
    const refused = await logIn({ forwarded: 'for="[2001:db8::1]"' }, 'correct horse');
    expect(refused.errors).toEqual(rateLimited('Too many failed log-ins; try again later.'));
    // The nearest untrusted hop is the client: here 192.0.2.60, not the one it claims.
    const claimed = await logIn(
      { forwarded: 'for="[2001:db8::1]", for=192.0.2.60:1234' },
      'correct horse',
    );
    expect(claimed.errors).toBeUndefined();
    expect(claimed.data?.logIn.user.id).toBe(user.id);
  });
});
