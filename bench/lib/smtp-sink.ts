// `--email`: an SMTP server that accepts every message and only counts it, so the
// bench measures this server with its email worker busy, not the sink.
import { SMTPServer } from 'smtp-server';
import { freePort } from '../../test/helpers/services.js';

export type CountingSink = { url: string; take(): number; close(): Promise<void> };

export async function startCountingSink(): Promise<CountingSink> {
  const port = await freePort();
  let count = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    closeTimeout: 1_000,
    onData(stream, _session, callback) {
      stream.on('end', () => {
        count += 1;
        callback();
      });
      stream.resume();
    },
  });
  server.on('error', () => {});
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
  return {
    url: `smtp://127.0.0.1:${port}`,
    /** Messages accepted since the last call. */
    take() {
      const taken = count;
      count = 0;
      return taken;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
