// Signing up, logging in and out: each returns what the session keeps.
import { graphql } from '../generated/gql';

export const SignUp = graphql(/* GraphQL */ `
  mutation SignUp($input: SignUpInput!) {
    signUp(input: $input) {
      token
      expiresAt
      user {
        id
        username
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
        username
      }
    }
  }
`);

export const LogOut = graphql(/* GraphQL */ `
  mutation LogOut {
    logOut
  }
`);
