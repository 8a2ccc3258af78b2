import { type FormEvent, useState } from "react";
import { Link, Navigate, useNavigate } from "react-router";
import { FormError } from "../../components/form-error.tsx";
import { authClient } from "../../lib/auth-client.ts";
import { formText } from "../../lib/form.ts";
import { AuthLayout } from "./auth-layout.tsx";

const MIN_PASSWORD_LENGTH = 10;

export function SignUpPage() {
  const navigate = useNavigate();
  const session = authClient.useSession();
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const password = formText(form, "password");
    if (password.length < MIN_PASSWORD_LENGTH) {
      setError(`Use at least ${MIN_PASSWORD_LENGTH} characters for your password.`);
      return;
    }
    setPending(true);
    setError(null);
    const { error: failure } = await authClient.signUp.email({
      name: formText(form, "name").trim(),
      email: formText(form, "email").trim(),
      password,
    });
    setPending(false);
    if (failure) {
      setError(failure.message ?? "Sign-up failed.");
      return;
    }
    // Refresh the session store before leaving, or the shell would still see "signed out".
    await session.refetch();
    await navigate("/");
  }

  if (session.data && !pending) return <Navigate to="/" replace />;

  return (
    <AuthLayout
      title="Create your account"
      footer={
        <>
          Already have an account? <Link to="/sign-in">Sign in</Link>
        </>
      }
    >
      <form onSubmit={onSubmit} className="stack" noValidate>
        <label className="field">
          <span>Name</span>
          <input name="name" autoComplete="name" required autoFocus maxLength={100} />
        </label>
        <label className="field">
          <span>Email</span>
          <input name="email" type="email" autoComplete="email" required />
        </label>
        <label className="field">
          <span>Password</span>
          <input
            name="password"
            type="password"
            autoComplete="new-password"
            required
            minLength={MIN_PASSWORD_LENGTH}
          />
          <small>At least {MIN_PASSWORD_LENGTH} characters.</small>
        </label>
        <FormError message={error} />
        <button type="submit" className="button primary" disabled={pending}>
          {pending ? "Creating account…" : "Create account"}
        </button>
      </form>
    </AuthLayout>
  );
}
