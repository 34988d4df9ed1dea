// `/login`: log in with email and password.
import { type FormEvent, useState } from 'react';
import { useMutation } from 'urql';
import { FormAlert } from '../components/form-alert';
import { TextField } from '../components/text-field';
import { type FormErrors, formErrors } from '../errors';
import { LogIn } from '../operations/auth';
import { Link } from '../router';
import { useSession, useTitle } from '../session-context';

export function LogInPage() {
  useTitle('Log in');
  const { signIn, notice } = useSession();
  const [{ fetching }, logIn] = useMutation(LogIn);
  const [errors, setErrors] = useState<FormErrors>({ fields: {} });

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const input = { email: String(form.get('email')), password: String(form.get('password')) };
    const result = await logIn({ input });
    setErrors(formErrors(result.error, ['email', 'password']));
    if (result.data) signIn(result.data.logIn);
  }

  return (
    <section className="narrow">
      <h1>Log in</h1>
      {notice && (
        <p role="status" className="notice">
          {notice}
        </p>
      )}
      <form onSubmit={submit} noValidate>
        <TextField
          label="Email"
          name="email"
          type="email"
          autoComplete="email"
          error={errors.fields.email}
        />
        <TextField
          label="Password"
          name="password"
          type="password"
          autoComplete="current-password"
          error={errors.fields.password}
        />
        <FormAlert message={errors.general} />
        <button type="submit" disabled={fetching}>
          Log in
        </button>
      </form>
      <p>
        New here? <Link to="/">Sign up</Link>
      </p>
    </section>
  );
}
