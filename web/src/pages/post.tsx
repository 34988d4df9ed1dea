// `/posts/<id>`: a post, its comments, and a form to add one.
import { type FormEvent, useState } from 'react';
import { useMutation, useQuery } from 'urql';
import { FormAlert } from '../components/form-alert';
import { MuteButton } from '../components/mute-button';
import { TextField } from '../components/text-field';
import { TimeAgo } from '../components/time-ago';
import { type FormErrors, formErrors } from '../errors';
import { CreateComment, PostPage as PostQuery } from '../operations/posts';
import { Link, userPath } from '../router';
import { useSession, useTitle } from '../session-context';

export function PostPage({ id }: { id: string }) {
  const { session } = useSession();
  const [{ data, error, fetching }, refetch] = useQuery({
    query: PostQuery,
    variables: { id },
    requestPolicy: 'cache-and-network',
  });
  const [adding, createComment] = useMutation(CreateComment);
  const [errors, setErrors] = useState<FormErrors>({ fields: {} });
  const post = data?.post;
  useTitle(post?.title ?? (fetching ? 'Post' : 'Post not found'));

  async function comment(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const formElement = event.currentTarget;
    const text = String(new FormData(formElement).get('text'));
    const result = await createComment({ input: { postId: id, text } });
    setErrors(formErrors(result.error, ['text']));
    if (result.data) {
      formElement.reset();
      refetch({ requestPolicy: 'network-only' });
    }
  }

  if (!post) {
    if (fetching) return <p>Loading…</p>;
    return (
      <>
        <h1>Post not found</h1>
        {error ? (
          <FormAlert message="The post could not be loaded." />
        ) : (
          <p>It may have been deleted.</p>
        )}
      </>
    );
  }
  const comments = post.comments.edges.map((edge) => edge.node);
  return (
    <article>
      <h1>{post.title}</h1>
      <p className="meta">
        by <Link to={userPath(post.author.id)}>{post.author.username}</Link> ·{' '}
        <TimeAgo at={post.createdAt} />
      </p>
      <p className="post-body">{post.body}</p>
      {session && <MuteButton postId={post.id} />}
      <section>
        <h2>Comments ({comments.length})</h2>
        {comments.length === 0 && <p>No comments yet.</p>}
        <ul className="items">
          {comments.map((c) => (
            <li key={c.id}>
              <p className="meta">
                <Link to={userPath(c.author.id)}>{c.author.username}</Link> ·{' '}
                <TimeAgo at={c.createdAt} />
              </p>
              <p className="comment-text">{c.text}</p>
            </li>
          ))}
        </ul>
        {session ? (
          <form onSubmit={comment} noValidate>
            <TextField label="Comment" name="text" multiline error={errors.fields.text} />
            <FormAlert message={errors.general} />
            <button type="submit" disabled={adding.fetching}>
              Add comment
            </button>
          </form>
        ) : (
          <p>
            <Link to="/login">Log in to comment</Link>
          </p>
        )}
      </section>
    </article>
  );
}
