// Whether this server has the delivery API yet (preferences, muting, Web Push), asked
// once with its cheapest field; until it does, the features that need it stay hidden.
import { useQuery } from 'urql';
import { isMissingField } from './errors';
import { DeliveryProbe } from './operations/delivery';

export type DeliveryApi =
  | { state: 'loading' }
  | { state: 'missing' }
  | { state: 'available'; webPushPublicKey: string | null };

export function useDeliveryApi(): DeliveryApi {
  const [{ data, error, fetching }] = useQuery({ query: DeliveryProbe });
  if (data) return { state: 'available', webPushPublicKey: data.webPushPublicKey ?? null };
  if (fetching || !error) return { state: 'loading' };
  return isMissingField(error) ? { state: 'missing' } : { state: 'loading' };
}
