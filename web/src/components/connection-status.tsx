// Says when live updates are paused: the browser is offline, or the socket dropped and
// is being re-opened. Nothing is shown while all is well.
import { useSyncExternalStore } from 'react';
import type { Api } from '../client';

export function ConnectionStatus({ connection }: { connection: Api['connection'] }) {
  const state = useSyncExternalStore(connection.subscribe, connection.get);
  return (
    <div role="status" className={state === 'online' ? 'connection' : 'connection connection-lost'}>
      {state === 'offline' &&
        'You are offline. New notifications will appear when the connection is back.'}
      {state === 'reconnecting' && 'Connection lost. Reconnecting…'}
    </div>
  );
}
