// The planned delivery API (shared/contract/next/delivery.graphql): preferences, muting a
// post and Web Push. Kept apart because a server without it answers these with a
// validation error; components ask useDeliveryApi() before using them.
import { graphql } from '../generated/gql';

/** The cheapest field of the delivery API: tells whether the server has it at all. */
export const DeliveryProbe = graphql(/* GraphQL */ `
  query DeliveryProbe {
    webPushPublicKey
  }
`);

export const NotificationPreferences = graphql(/* GraphQL */ `
  query NotificationPreferences {
    notificationPreferences {
      kind
      channel
      enabled
    }
  }
`);

export const UpdateNotificationPreferences = graphql(/* GraphQL */ `
  mutation UpdateNotificationPreferences($input: [NotificationPreferenceInput!]!) {
    updateNotificationPreferences(input: $input) {
      kind
      channel
      enabled
    }
  }
`);

export const PostMuteState = graphql(/* GraphQL */ `
  query PostMuteState($id: ID!) {
    post(id: $id) {
      id
      viewerHasMuted
    }
  }
`);

export const MutePost = graphql(/* GraphQL */ `
  mutation MutePost($postId: ID!) {
    mutePost(postId: $postId) {
      id
      viewerHasMuted
    }
  }
`);

export const UnmutePost = graphql(/* GraphQL */ `
  mutation UnmutePost($postId: ID!) {
    unmutePost(postId: $postId) {
      id
      viewerHasMuted
    }
  }
`);

export const RegisterPushSubscription = graphql(/* GraphQL */ `
  mutation RegisterPushSubscription($input: RegisterPushSubscriptionInput!) {
    registerPushSubscription(input: $input) {
      id
    }
  }
`);
