// The viewer's notifications: the stored list, the live feed and the unread count.
import { graphql } from '../generated/gql';

export const NotificationItemFields = graphql(/* GraphQL */ `
  fragment NotificationItem on Notification {
    id
    kind
    message
    peek
    read
    createdAt
    actor {
      id
      username
    }
    post {
      id
      title
    }
  }
`);

export const NotificationList = graphql(/* GraphQL */ `
  query NotificationList {
    notifications(first: 20) {
      edges {
        node {
          ...NotificationItem
        }
      }
    }
  }
`);

/** `since` is the newest id the page has; client.ts moves it forward as items arrive. */
export const NotificationAdded = graphql(/* GraphQL */ `
  subscription NotificationAdded($since: ID) {
    notificationAdded(since: $since) {
      ...NotificationItem
    }
  }
`);

export const UnreadCount = graphql(/* GraphQL */ `
  subscription UnreadCount {
    unreadNotificationCountChanged
  }
`);

export const MarkNotificationRead = graphql(/* GraphQL */ `
  mutation MarkNotificationRead($id: ID!) {
    markNotificationRead(id: $id) {
      id
      read
    }
  }
`);

export const MarkAllNotificationsRead = graphql(/* GraphQL */ `
  mutation MarkAllNotificationsRead {
    markAllNotificationsRead
  }
`);
