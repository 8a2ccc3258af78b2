import { type FormEvent, useState } from "react";
import { Link, Navigate, useNavigate, useSearchParams } from "react-router";
import { FormError } from "../../components/form-error.tsx";
import { authClient } from "../../lib/auth-client.ts";
import { formText } from "../../lib/form.ts";
import { AuthLayout } from "./auth-layout.tsx";

export function SignInPage() {
  const navigate = useNavigate();
  const session = authClient.useSession();
  const [searchParams] = useSearchParams();
  // better-auth sends a failed GitHub sign-in back here with ?error=<code>.
  const [error, setError] = useState<string | null>(() => {
    const code = searchParams.get("error");
    return code ? `Signing in with GitHub failed (${code.replaceAll("_", " ")}).` : null;
  });
  const [pending, setPending] = useState(false);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setPending(true);
    setError(null);
    const { error: failure } = await authClient.signIn.email({
      email: formText(form, "email"),
      password: formText(form, "password"),
    });
    setPending(false);
    if (failure) {
      setError(failure.message ?? "Sign-in failed.");
      return;
    }
    // Refresh the session store before leaving, or the shell would still see "signed out".
    await session.refetch();
    await navigate("/");
  }

  async function signInWithGitHub() {
    setError(null);
    // Leaves for GitHub's authorize page; better-auth brings the browser back signed in.
    const { error: failure } = await authClient.signIn.social({
      provider: "github",
      callbackURL: "/",
      errorCallbackURL: "/sign-in",
    });
    if (failure) setError(failure.message ?? "Signing in with GitHub failed.");
  }

  if (session.data && !pending) return <Navigate to="/" replace />;

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
      <p className="divider">or</p>
      <button type="button" className="button" onClick={() => void signInWithGitHub()}>
        Sign in with GitHub
      </button>
    </AuthLayout>
  );
}
