// Real clients, as app developers use them: fetch over HTTP, graphql-ws over a
// WebSocket, graphql-sse over Server-Sent Events.
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { type ExecutionResult, print } from 'graphql';
import { createClient as createSseClient } from 'graphql-sse';
import { type Client, createClient as createWsClient } from 'graphql-ws';
import WebSocket from 'ws';
import { Queue } from './queue.js';

export type Result<T> = ExecutionResult<T, { code?: string; field?: string }>;

/** POSTs one operation; `token` becomes the bearer header. */
export async function request<T, V>(
  url: string,
  document: TypedDocumentNode<T, V>,
  variables?: V,
  token?: string,
): Promise<Result<T>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ query: print(document), variables }),
  });
  return (await response.json()) as Result<T>;
}

/** Like request, but fails the test on any error and returns the data. */
export async function ok<T, V>(
  url: string,
  document: TypedDocumentNode<T, V>,
  variables?: V,
  token?: string,
): Promise<T> {
  const result = await request(url, document, variables, token);
  if (result.errors?.length || !result.data) {
    throw new Error(`unexpected errors: ${JSON.stringify(result.errors)}`);
  }
  return result.data;
}

export type Subscription<T> = {
  results: Queue<Result<T>>;
  /** Resolves when the server completes the operation. */
  completed: Promise<void>;
  stop(): void;
};

export type WsConnection = {
  client: Client;
  /** The close event's code once the socket closes. */
  closed: Promise<number>;
  subscribe<T, V>(document: TypedDocumentNode<T, V>, variables?: V): Subscription<T>;
  dispose(): Promise<void>;
};

/** A graphql-ws client, connected eagerly, that never retries on its own. */
export function connectWs(wsUrl: string, token?: string): WsConnection {
  let onClosed: (code: number) => void = () => {};
  const closed = new Promise<number>((resolve) => {
    onClosed = resolve;
  });
  const client = createWsClient({
    url: wsUrl,
    webSocketImpl: WebSocket,
    lazy: false,
    retryAttempts: 0,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
    on: { closed: (event) => onClosed((event as { code: number }).code) },
    onNonLazyError: () => {},
  });
  return {
    client,
    closed,
    subscribe(document, variables) {
      const results = new Queue<Result<never>>();
      let done: () => void = () => {};
      const completed = new Promise<void>((resolve) => {
        done = resolve;
      });
      const stop = client.subscribe(
        { query: print(document), variables: variables as Record<string, unknown> | undefined },
        {
          next: (value) => results.push(value as Result<never>),
          error: (error) => {
            results.push({
              errors: [{ message: String((error as Error).message ?? error) }],
            } as never);
            done();
          },
          complete: done,
        },
      );
      return { results, completed, stop } as never;
    },
    dispose: async () => {
      await client.dispose();
    },
  };
}

/** A subscription over SSE (graphql-sse, distinct connections mode, which Yoga speaks). */
export function subscribeSse<T, V>(
  url: string,
  document: TypedDocumentNode<T, V>,
  variables?: V,
  token?: string,
): Subscription<T> & { dispose(): void } {
  const client = createSseClient({
    url,
    retryAttempts: 0,
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  const results = new Queue<Result<T>>();
  let done: () => void = () => {};
  const completed = new Promise<void>((resolve) => {
    done = resolve;
  });
  const stop = client.subscribe(
    { query: print(document), variables: variables as Record<string, unknown> | undefined },
    {
      next: (value) => results.push(value as Result<T>),
      error: (error) => {
        results.push({ errors: [{ message: String(error) }] } as never);
        done();
      },
      complete: done,
    },
  );
  return { results, completed, stop, dispose: () => client.dispose() };
}
