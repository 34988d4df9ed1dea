// One POST to a URL a user gave us (a webhook endpoint, a push service), as the
// webhook and push channels make it: the URL checked again (safe-url.ts) and the
// connection pinned to the checked address, a hard deadline for the whole
// exchange, no redirects followed (node:http never follows them), and only the
// first few KiB of the answer read, so a slow, hanging or chatty endpoint costs a
// worker slot for at most `timeoutMs`.
import http from 'node:http';
import https from 'node:https';
import { pinnedLookup, RefusedAddressError, staticProblem, type UrlPolicy } from './safe-url.js';

/** How much of an answer is read; the rest is dropped with the connection. */
export const MAX_RESPONSE_BYTES = 4_096;

export type PostResult = { status: number; headers: http.IncomingHttpHeaders; body: string };

/** A non-2xx answer, for the channels' classify. */
export class HttpStatusError extends Error {
  constructor(readonly status: number) {
    super(`HTTP ${status}`);
  }
}

/** The deadline passed before the endpoint answered completely. */
export class TimeoutError extends Error {
  code = 'ETIMEDOUT';
  constructor() {
    super('timeout');
  }
}

export async function postTo(
  target: string,
  options: {
    headers: Record<string, string | number>;
    body: Buffer | string;
    timeoutMs: number;
    policy: UrlPolicy;
  },
): Promise<PostResult> {
  // IP literals never reach the pinned lookup, so they (and the scheme) are checked here.
  if (staticProblem(target, options.policy) !== null) throw new RefusedAddressError();
  const url = new URL(target);
  const client = url.protocol === 'https:' ? https : http;
  return new Promise<PostResult>((resolve, reject) => {
    const request = client.request(url, {
      method: 'POST',
      headers: options.headers,
      lookup: pinnedLookup(options.policy),
      // One connection per attempt: a kept-alive socket would skip the lookup.
      agent: false,
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    // The signal ends the whole exchange, the answer's body included.
    const failed = (error: Error) =>
      reject(
        error.name === 'AbortError' || error.name === 'TimeoutError' ? new TimeoutError() : error,
      );
    request.on('error', failed);
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const done = () => {
        response.destroy();
        resolve({
          status: response.statusCode ?? 0,
          headers: response.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        });
      };
      response.on('data', (chunk: Buffer) => {
        if (size >= MAX_RESPONSE_BYTES) return;
        chunks.push(chunk.subarray(0, MAX_RESPONSE_BYTES - size));
        size += chunk.length;
        if (size >= MAX_RESPONSE_BYTES) done();
      });
      response.on('end', done);
      response.on('error', failed);
    });
    request.end(options.body);
  });
}

/** A failed POST as a short line for `lastError`: never the URL, the address or a stack. */
export function describeHttpError(error: unknown): string {
  if (error instanceof HttpStatusError) return `HTTP ${error.status}`;
  if (error instanceof TimeoutError) return 'timeout';
  if (error instanceof RefusedAddressError) return 'refused address';
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ECONNRESET') return 'connection reset';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'name not resolved';
  if (typeof code === 'string' && /^(ERR_TLS|CERT_|UNABLE_TO|DEPTH_ZERO|SELF_SIGNED)/.test(code)) {
    return 'TLS error';
  }
  return 'error';
}
