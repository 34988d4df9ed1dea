// Turns on Web Push for this browser, when the server has it (webPushPublicKey).
import { useState } from 'react';
import { useMutation } from 'urql';
import { RegisterPushSubscription } from '../operations/delivery';
import { pushSupported, subscribeThisBrowser } from '../push';
import { FormAlert } from './form-alert';

type State = { step: 'idle' | 'working' | 'done' } | { step: 'failed'; message: string };

export function PushButton({ publicKey }: { publicKey: string }) {
  const [, register] = useMutation(RegisterPushSubscription);
  const [state, setState] = useState<State>({ step: 'idle' });
  if (!pushSupported()) return <p>This browser cannot receive push notifications.</p>;

  async function turnOn() {
    setState({ step: 'working' });
    try {
      const input = await subscribeThisBrowser(publicKey);
      const result = await register({ input });
      if (result.error)
        throw new Error(result.error.graphQLErrors[0]?.message ?? 'The server refused it.');
      setState({ step: 'done' });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      setState({ step: 'failed', message: `Push notifications could not be turned on: ${reason}` });
    }
  }

  return (
    <div>
      <button type="button" disabled={state.step === 'working'} onClick={() => void turnOn()}>
        Turn on push notifications in this browser
      </button>
      <p role="status">
        {state.step === 'done' ? 'Push notifications are on in this browser.' : ''}
      </p>
      {state.step === 'failed' && <FormAlert message={state.message} />}
    </div>
  );
}
