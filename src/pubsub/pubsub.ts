// The one small interface between "something happened to user X" and the
// subscriptions listening for X. Events carry ids only: a listener re-reads what
// it needs from the database, so an event can be lost, repeated or reordered
// without a client ever seeing a wrong or missing notification.

export type UserEvent =
  /** A notification for this user was committed. */
  | { type: 'notification'; id: number }
  /** Some of this user's notifications were marked read. */
  | { type: 'read' }
  /** Every token of this user was revoked (log-out, new password): close their sockets. */
  | { type: 'revoked' }
  /** Events may have been lost (the transport reconnected): re-read everything. */
  | { type: 'resync' };

export type UserMessage = { userId: number; event: UserEvent };

export type Listener = (event: UserEvent) => void;

export interface PubSub {
  /** Sends each event to its user's topic. Resolves once handed to the transport. */
  publish(messages: readonly UserMessage[]): Promise<void>;
  /**
   * Starts delivering a user's events to `listener`; resolves once delivery is
   * live, with the function that stops it.
   */
  subscribe(userId: number, listener: Listener): Promise<() => Promise<void>>;
  /** Whether events can flow right now (for /ready). */
  isHealthy(): Promise<boolean>;
  close(): Promise<void>;
}
