import { type FormEvent, useState } from "react";
import { Link, useNavigate } from "react-router";
import { FormError } from "../../components/form-error.tsx";
import { authClient } from "../../lib/auth-client.ts";
import { AuthLayout } from "./auth-layout.tsx";

export function SignInPage() {
  const navigate = useNavigate();
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setPending(true);
    setError(null);
    const { error: failure } = await authClient.signIn.email({
      email: String(form.get("email")),
      password: String(form.get("password")),
    });
    setPending(false);
    if (failure) {
      setError(failure.message ?? "Sign-in failed.");
      return;
    }
    await navigate("/");
  }

  return (
    <AuthLayout
      title="Sign in"
      footer={
        <>
          New to Hangar? <Link to="/sign-up">Create an account</Link>
        </>
      }
    >
      <form onSubmit={onSubmit} className="stack" noValidate>
        <label className="field">
          <span>Email</span>
          <input name="email" type="email" autoComplete="email" required autoFocus />
        </label>
        <label className="field">
          <span>Password</span>
          <input name="password" type="password" autoComplete="current-password" required />
        </label>
        <FormError message={error} />
        <button type="submit" className="button primary" disabled={pending}>
          {pending ? "Signing in…" : "Sign in"}
        </button>
      </form>
    </AuthLayout>
  );
}
