// The operations tests share, typed against schema.graphql by codegen.
import { graphql } from '../generated/gql.js';

export const SignUp = graphql(/* GraphQL */ `
  mutation SignUp($input: SignUpInput!) {
    signUp(input: $input) {
      token
      expiresAt
      user {
        id
        username
        email
      }
    }
  }
`);

export const LogIn = graphql(/* GraphQL */ `
  mutation LogIn($input: LogInInput!) {
    logIn(input: $input) {
      token
      expiresAt
      user {
        id
      }
    }
  }
`);

export const CreatePost = graphql(/* GraphQL */ `
  mutation CreatePost($input: CreatePostInput!) {
    createPost(input: $input) {
      id
      title
      body
      author {
        id
      }
    }
  }
`);

export const CreateComment = graphql(/* GraphQL */ `
  mutation CreateComment($input: CreateCommentInput!) {
    createComment(input: $input) {
      id
      text
      post {
        id
      }
    }
  }
`);

export const FollowUser = graphql(/* GraphQL */ `
  mutation FollowUser($userId: ID!) {
    followUser(userId: $userId) {
      id
      followerCount
      viewerIsFollowing
    }
  }
`);

export const NotificationFields = graphql(/* GraphQL */ `
  fragment NotificationFields on Notification {
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
    comment {
      id
      text
    }
  }
`);

export const Notifications = graphql(/* GraphQL */ `
  query Notifications($first: Int, $after: String, $unreadOnly: Boolean) {
    notifications(first: $first, after: $after, unreadOnly: $unreadOnly) {
      edges {
        cursor
        node {
          ...NotificationFields
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`);

export const UnreadCount = graphql(/* GraphQL */ `
  query UnreadCount {
    unreadNotificationCount
  }
`);

export const NotificationAdded = graphql(/* GraphQL */ `
  subscription NotificationAdded($since: ID) {
    notificationAdded(since: $since) {
      ...NotificationFields
    }
  }
`);

export const UnreadCountChanged = graphql(/* GraphQL */ `
  subscription UnreadCountChanged {
    unreadNotificationCountChanged
  }
`);
