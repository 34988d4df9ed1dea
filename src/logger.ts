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
 * Gives an operation's context its `logger`: a child of `parent` with the
 * request's fields, made when first read. Most operations never log, and a pino
 * child (its fields serialised and redacted) cost about 10 µs a request in a
 * profile, and a graphql-ws socket kept two of them for its life.
 */
export function defineRequestLogger(
  context: object,
  parent: Logger,
  fields: () => pino.Bindings,
): void {
  const settle = (value: Logger) => {
    Object.defineProperty(context, 'logger', { value, writable: true, enumerable: true });
    return value;
  };
  Object.defineProperty(context, 'logger', {
    configurable: true,
    enumerable: true,
    get: () => settle(parent.child(fields())),
    set: settle,
  });
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
