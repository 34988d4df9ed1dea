// `/users/<id>`: a user, their posts, and following them.
import { useMutation, useQuery } from 'urql';
import { FormAlert } from '../components/form-alert';
import { TimeAgo } from '../components/time-ago';
import { FollowUser, UnfollowUser, UserPage as UserQuery } from '../operations/users';
import { Link, postPath } from '../router';
import { useSession, useTitle } from '../session-context';

export function UserPage({ id }: { id: string }) {
  const { session } = useSession();
  const [{ data, error, fetching }] = useQuery({
    query: UserQuery,
    variables: { id },
    requestPolicy: 'cache-and-network',
  });
  const [following, follow] = useMutation(FollowUser);
  const [unfollowing, unfollow] = useMutation(UnfollowUser);
  const user = data?.user;
  useTitle(user?.username ?? (fetching ? 'User' : 'User not found'));

  if (!user) {
    if (fetching) return <p>Loading…</p>;
    return (
      <>
        <h1>User not found</h1>
        {error && <FormAlert message="The user could not be loaded." />}
      </>
    );
  }
  // The mutations answer with the user's new state, which the cache then shows here.
  const busy = following.fetching || unfollowing.fetching;
  const mutationError = following.error ?? unfollowing.error;
  const posts = user.posts.edges.map((edge) => edge.node);
  return (
    <>
      <h1>{user.username}</h1>
      <p className="meta">
        {user.followerCount} {user.followerCount === 1 ? 'follower' : 'followers'} · follows{' '}
        {user.followingCount}
      </p>
      {session && session.user.id !== user.id && (
        <button
          type="button"
          disabled={busy}
          className={user.viewerIsFollowing ? 'secondary' : undefined}
          onClick={() =>
            void (user.viewerIsFollowing
              ? unfollow({ userId: user.id })
              : follow({ userId: user.id }))
          }
        >
          {user.viewerIsFollowing ? 'Unfollow' : 'Follow'}
        </button>
      )}
      {mutationError && (
        <FormAlert message={mutationError.graphQLErrors[0]?.message ?? 'Something went wrong.'} />
      )}
      <section>
        <h2>Posts</h2>
        {posts.length === 0 && <p>No posts yet.</p>}
        <ul className="items">
          {posts.map((post) => (
            <li key={post.id}>
              <Link to={postPath(post.id)} className="item-title">
                {post.title}
              </Link>
              <p className="meta">
                <TimeAgo at={post.createdAt} />
              </p>
            </li>
          ))}
        </ul>
      </section>
    </>
  );
}
