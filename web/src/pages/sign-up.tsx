// `/` when signed out: create an account.
import { type FormEvent, useState } from 'react';
import { useMutation } from 'urql';
import { FormAlert } from '../components/form-alert';
import { TextField } from '../components/text-field';
import { type FormErrors, formErrors } from '../errors';
import { SignUp } from '../operations/auth';
import { Link } from '../router';
import { useSession, useTitle } from '../session-context';

export function SignUpPage() {
  useTitle('Sign up');
  const { signIn, notice } = useSession();
  const [{ fetching }, signUp] = useMutation(SignUp);
  const [errors, setErrors] = useState<FormErrors>({ fields: {} });

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const input = {
      email: String(form.get('email')),
      username: String(form.get('username')),
      password: String(form.get('password')),
    };
    const result = await signUp({ input });
    setErrors(formErrors(result.error, ['email', 'username', 'password']));
    if (result.data) signIn(result.data.signUp);
  }

  return (
    <section className="narrow">
      <h1>Sign up</h1>
      <p>Get told the moment someone comments on your posts or someone you follow publishes.</p>
      {notice && <p className="notice">{notice}</p>}
      <form onSubmit={submit} noValidate>
        <TextField
          label="Email"
          name="email"
          type="email"
          autoComplete="email"
          error={errors.fields.email}
        />
        <TextField
          label="Username"
          name="username"
          autoComplete="username"
          error={errors.fields.username}
        />
        <TextField
          label="Password"
          name="password"
          type="password"
          autoComplete="new-password"
          error={errors.fields.password}
        />
        <FormAlert message={errors.general} />
        <button type="submit" disabled={fetching}>
          Sign up
        </button>
      </form>
      <p>
        Already have an account? <Link to="/login">Log in</Link>
      </p>
    </section>
  );
}
