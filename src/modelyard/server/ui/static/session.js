// Who is signed in. With auth off (`enabled` false) the UI has no login, menu or admin pages.
// With auth on, `user` is {id, username, is_admin} once signed in (null before).
import { authSession, setCsrfToken } from "./api.js";

export const session = { enabled: false, user: null };

/** Ask the server (GET auth/session) and remember the answer; the CSRF token goes to api.js. */
export async function loadSession() {
  const r = await authSession();
  return applySession(r);
}

/** Remember a session answer ({auth_enabled, user, csrf_token}) of auth/session or auth/login. */
export function applySession(r) {
  if (r.auth_enabled !== undefined) session.enabled = !!r.auth_enabled;
  session.user = r.user || null;
  setCsrfToken(r.csrf_token);
  return session;
}

export function clearSession() {
  session.user = null;
  setCsrfToken("");
}
