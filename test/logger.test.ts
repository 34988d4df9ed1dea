// An operation's logger (src/logger.ts): made on first use, with the request's
// fields, and secrets redacted wherever they appear.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, defineRequestLogger, type Logger } from '../src/logger.js';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return { logger: createLogger('info', destination), lines };
}

describe("an operation's logger", () => {
  it("logs with the request's fields, asked for only when it is first used", async () => {
    const { logger, lines } = capture();
    let asked = 0;
    const context = {} as { logger: Logger };
    defineRequestLogger(context, logger, () => {
      asked++;
      return { requestId: 'req-1', clientIp: '203.0.113.9' };
    });
    expect(asked).toBe(0);
    expect(Object.keys(context)).toEqual(['logger']);

    context.logger.info({ token: 'secret-token' }, 'hello');
    context.logger.warn('again');
    await new Promise((resolve) => setImmediate(resolve));

    expect(asked).toBe(1);
    expect(lines).toMatchObject([
      { requestId: 'req-1', clientIp: '203.0.113.9', token: '[redacted]', msg: 'hello' },
      { requestId: 'req-1', clientIp: '203.0.113.9', msg: 'again' },
    ]);
  });

  it('can be replaced, as Object.assign does when a plugin extends the context', () => {
    const { logger } = capture();
    const context = {} as { logger: Logger };
    defineRequestLogger(context, logger, () => ({ requestId: 'unused' }));
    const other = logger.child({ other: true });
    Object.assign(context, { logger: other });
    expect(context.logger).toBe(other);
  });
});
