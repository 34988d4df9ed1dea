// `/` when signed in: write a post, and the newest posts of everyone.
import { type FormEvent, useState } from 'react';
import { useMutation, useQuery } from 'urql';
import { FormAlert } from '../components/form-alert';
import { TextField } from '../components/text-field';
import { TimeAgo } from '../components/time-ago';
import { type FormErrors, formErrors } from '../errors';
import { CreatePost, NewestPosts } from '../operations/posts';
import { Link, navigate, postPath, userPath } from '../router';
import { useTitle } from '../session-context';

export function HomePage() {
  useTitle('Home');
  const [{ data, error }] = useQuery({ query: NewestPosts, requestPolicy: 'cache-and-network' });
  const [{ fetching }, createPost] = useMutation(CreatePost);
  const [errors, setErrors] = useState<FormErrors>({ fields: {} });

  async function publish(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const input = { title: String(form.get('title')), body: String(form.get('body')) };
    const result = await createPost({ input });
    setErrors(formErrors(result.error, ['title', 'body']));
    if (result.data) navigate(postPath(result.data.createPost.id));
  }

  const posts = data?.posts.edges.map((edge) => edge.node) ?? [];
  return (
    <>
      <h1>Home</h1>
      <section className="card">
        <h2>Write a post</h2>
        <form onSubmit={publish} noValidate>
          <TextField label="Title" name="title" error={errors.fields.title} />
          <TextField label="Body" name="body" multiline error={errors.fields.body} />
          <FormAlert message={errors.general} />
          <button type="submit" disabled={fetching}>
            Publish
          </button>
        </form>
      </section>
      <section>
        <h2>Newest posts</h2>
        {error && !data && <FormAlert message="The posts could not be loaded." />}
        {data && posts.length === 0 && <p>No posts yet. Be the first to write one.</p>}
        <ul className="items">
          {posts.map((post) => (
            <li key={post.id}>
              <Link to={postPath(post.id)} className="item-title">
                {post.title}
              </Link>
              <p className="meta">
                <Link to={userPath(post.author.id)}>{post.author.username}</Link> ·{' '}
                <TimeAgo at={post.createdAt} /> · {post.commentCount}{' '}
                {post.commentCount === 1 ? 'comment' : 'comments'}
              </p>
            </li>
          ))}
        </ul>
      </section>
    </>
  );
}
