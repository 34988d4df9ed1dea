// Operations of the webhook and push channels, and a server configured to reach
// loopback receivers quickly.
import { graphql } from '../generated/gql.js';

/** Loopback receivers need ALLOW_PRIVATE_DELIVERY_URLS; short retries keep tests quick. */
export const fastChannels = (extra: Record<string, string> = {}) => ({
  ALLOW_PRIVATE_DELIVERY_URLS: 'true',
  PUBLIC_URL: 'https://notify.test.example',
  DELIVERY_RETRY_BASE_MS: '50',
  DELIVERY_MAX_ATTEMPTS: '4',
  DELIVERY_POLL_MS: '50',
  DELIVERY_LEASE_MS: '5000',
  DELIVERY_HTTP_TIMEOUT_MS: '3000',
  ...extra,
});

export const CreateWebhookEndpoint = graphql(/* GraphQL */ `
  mutation CreateWebhookEndpoint($url: String!) {
    createWebhookEndpoint(url: $url) {
      secret
      endpoint {
        id
        url
        createdAt
      }
    }
  }
`);

export const DeleteWebhookEndpoint = graphql(/* GraphQL */ `
  mutation DeleteWebhookEndpoint($id: ID!) {
    deleteWebhookEndpoint(id: $id)
  }
`);

export const WebhookEndpoints = graphql(/* GraphQL */ `
  query WebhookEndpoints {
    webhookEndpoints {
      id
      url
      createdAt
    }
  }
`);

export const RegisterPushSubscription = graphql(/* GraphQL */ `
  mutation RegisterPushSubscription($input: RegisterPushSubscriptionInput!) {
    registerPushSubscription(input: $input) {
      id
      endpoint
      createdAt
    }
  }
`);

export const UnregisterPushSubscription = graphql(/* GraphQL */ `
  mutation UnregisterPushSubscription($endpoint: String!) {
    unregisterPushSubscription(endpoint: $endpoint)
  }
`);

export const PushSubscriptions = graphql(/* GraphQL */ `
  query PushSubscriptions {
    pushSubscriptions {
      id
      endpoint
    }
  }
`);

export const WebPushPublicKey = graphql(/* GraphQL */ `
  query WebPushPublicKey {
    webPushPublicKey
  }
`);
