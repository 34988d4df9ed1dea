// A user's page and following them.
import { graphql } from '../generated/gql';

export const UserPage = graphql(/* GraphQL */ `
  query UserPage($id: ID!) {
    user(id: $id) {
      id
      username
      followerCount
      followingCount
      viewerIsFollowing
      posts(first: 20) {
        edges {
          node {
            id
            title
            createdAt
          }
        }
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

export const UnfollowUser = graphql(/* GraphQL */ `
  mutation UnfollowUser($userId: ID!) {
    unfollowUser(userId: $userId) {
      id
      followerCount
      viewerIsFollowing
    }
  }
`);
