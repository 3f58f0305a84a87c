/** Log-in page: username + password; the server sets the session and CSRF cookies. */
import { type FormEvent, useState } from "react";
import { type ApiClient, unwrap } from "../api/client";
import { errorMessage } from "../api/errors";
import type { SessionPublic } from "../api/types";

interface LoginScreenProps {
  api: ApiClient;
  onLogin: (session: SessionPublic) => void;
}

export function LoginScreen({ api, onLogin }: LoginScreenProps) {
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError("");
    try {
      onLogin(await unwrap(api.POST("/api/auth/login", { body: { username, password } })));
    } catch (err) {
      setError(errorMessage(err));
      setBusy(false);
    }
  };

  return (
    <main>
      <div className="panel login">
        <h1>ictal — seizure labelling</h1>
        <p>Authorised clinical staff only. Patient data are pseudonymised.</p>
        <form onSubmit={submit} aria-label="Log in">
          <label>
            Username
            <input name="username" autoComplete="username" value={username} autoFocus required onChange={(e) => setUsername(e.target.value)} />
          </label>
          <label>
            Password
            <input name="password" type="password" autoComplete="current-password" value={password} required onChange={(e) => setPassword(e.target.value)} />
          </label>
          {error && (
            <p className="error-text" role="alert">
              {error}
            </p>
          )}
          <button type="submit" disabled={busy}>
            {busy ? "Logging in…" : "Log in"}
          </button>
        </form>
      </div>
    </main>
  );
}
