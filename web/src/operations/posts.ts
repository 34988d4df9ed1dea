// Posts and their comments.
import { graphql } from '../generated/gql';

export const NewestPosts = graphql(/* GraphQL */ `
  query NewestPosts {
    posts(first: 20) {
      edges {
        node {
          id
          title
          createdAt
          commentCount
          author {
            id
            username
          }
        }
      }
    }
  }
`);

export const PostPage = graphql(/* GraphQL */ `
  query PostPage($id: ID!) {
    post(id: $id) {
      id
      title
      body
      createdAt
      author {
        id
        username
      }
      comments(first: 50) {
        edges {
          node {
            id
            text
            createdAt
            author {
              id
              username
            }
          }
        }
      }
    }
  }
`);

export const CreatePost = graphql(/* GraphQL */ `
  mutation CreatePost($input: CreatePostInput!) {
    createPost(input: $input) {
      id
    }
  }
`);

export const CreateComment = graphql(/* GraphQL */ `
  mutation CreateComment($input: CreateCommentInput!) {
    createComment(input: $input) {
      id
    }
  }
`);
