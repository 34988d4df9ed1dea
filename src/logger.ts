// Structured JSON logs. Secrets never reach them: the paths below are redacted
// wherever they appear, and nothing logs request bodies or connection params.
import { GraphQLError } from 'graphql';
import { pino } from 'pino';

export type Logger = pino.Logger;

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      redact: {
        paths: [
          'authorization',
          '*.authorization',
          'headers.authorization',
          '*.headers.authorization',
          'password',
          '*.password',
          'token',
          '*.token',
          'connectionParams',
          '*.connectionParams',
          'variables',
          '*.variables',
          // Webhook signing secrets and browsers' push keys (src/delivery/).
          'secret',
          '*.secret',
          'p256dh',
          '*.p256dh',
          'keys',
          '*.keys',
        ],
        censor: '[redacted]',
      },
    },
    destination,
  );
}

/**
 * Yoga's logger interface on top of pino, so Yoga's own lines are JSON too. Yoga
 * logs each error it masks, once, as an Error at level error: that line is the
 * server's one record of an unexpected error, with the original error (the SQL,
 * the stack) that the client never sees.
 */
export function yogaLogger(logger: Logger) {
  const log =
    (level: 'debug' | 'info' | 'warn' | 'error') =>
    (...args: unknown[]) => {
      const [first, ...rest] = args;
      if (first instanceof Error && level === 'error') {
        const original = first instanceof GraphQLError ? (first.originalError ?? first) : first;
        logger.error({ err: original }, 'unexpected error');
      } else if (first instanceof Error) {
        logger[level]({ err: first }, String(rest[0] ?? first.message));
      } else logger[level](rest.length ? { details: rest } : {}, String(first));
    };
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}
