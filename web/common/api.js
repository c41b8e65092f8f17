// The clients' one way in: our GraphQL API with a bearer token, like any integrator.
// The access token lives in page memory only; the refresh token is an HttpOnly cookie
// that page scripts cannot read (POST /auth/web/login, /refresh, /logout, with the
// double-submit CSRF header).

/** The page's configuration, from <meta name="jogo-config"> (set by the server). */
export const config = JSON.parse(document.querySelector('meta[name="jogo-config"]')?.content || "{}");

/** A typed error: code (INVALID_INPUT, NOT_FOUND, …), message (English), field (or null). */
export class ApiError extends Error {
  constructor(code, message, field = null, status = 0) {
    super(message || code);
    this.code = code;
    this.field = field;
    this.status = status;
  }
}

function csrfToken() {
  const match = document.cookie.split("; ").find((c) => c.startsWith("jogo_csrf="));
  return match ? decodeURIComponent(match.slice("jogo_csrf=".length)) : "";
}

async function readError(response) {
  try {
    const body = await response.json();
    const first = (body.errors || [])[0];
    if (first) return new ApiError(first.extensions?.code || `HTTP_${response.status}`, first.message, first.extensions?.field || null, response.status);
  } catch { /* not JSON */ }
  return new ApiError(`HTTP_${response.status}`, response.statusText, null, response.status);
}

async function postSession(path, body) {
  let response;
  try {
    response = await fetch(path, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-Jogo-CSRF": csrfToken() },
      body: body === undefined ? "" : JSON.stringify(body),
    });
  } catch {
    throw new ApiError("NETWORK", "network error");
  }
  if (!response.ok) throw await readError(response);
  return response.json();
}

/** The signed-in state of this page: one per page. Listeners get "signed-in",
 * "refreshed" (a new token: live sockets renew with it) or "signed-out". */
class Session {
  constructor() {
    this.token = null;
    this.expiresAt = 0;
    this.timer = null;
    this.listeners = new Set();
    this.refreshing = null;
  }

  on(fn) { this.listeners.add(fn); return () => this.listeners.delete(fn); }

  emit(event) { for (const fn of [...this.listeners]) fn(event, this); }

  accept(body, event) {
    this.token = body.access_token;
    this.expiresAt = Date.now() + body.expires_in * 1000;
    clearTimeout(this.timer);
    // Renew at three quarters of the token's life: a shift-long page never sees it lapse.
    const wait = Math.max(5000, body.expires_in * 750);
    this.timer = setTimeout(() => this.refresh().catch(() => {}), wait);
    this.emit(event);
  }

  /** Sign in with a username and password; throws ApiError (401: wrong credentials).
   * Answers null when signed in, or the second-factor challenge ({second_factor: "totp" |
   * "enrol", challenge, expires_in, message}) to continue with secondFactor(). */
  async signIn(username, password) {
    const body = await postSession("/auth/web/login", { username, password });
    if (body.second_factor) return body;
    this.accept(body, "signed-in");
    return null;
  }

  /** Finish a sign-in with a TOTP or recovery code (or, for an "enrol" challenge, the first
   * code of the new secret). Answers the recovery codes after an enrolment, else null. */
  async secondFactor(challenge, code) {
    const body = await postSession("/auth/web/second-factor", { challenge, code });
    this.accept(body, "signed-in");
    return body.recovery_codes || null;
  }

  /** Resume the session of the refresh cookie (a reload): true when signed in. */
  async restore() {
    try {
      await this.refresh();
      return true;
    } catch (error) {
      if (error.code === "NETWORK") throw error;
      return false;
    }
  }

  /** A new access token from the refresh cookie (one at a time per page). A network
   * failure keeps the session and retries in 10 s; a 401 ends it. */
  refresh() {
    if (!this.refreshing) {
      const first = this.token === null;
      this.refreshing = postSession("/auth/web/refresh")
        .then((body) => this.accept(body, first ? "signed-in" : "refreshed"))
        .catch((error) => {
          if (error.code === "NETWORK") {
            clearTimeout(this.timer);
            this.timer = setTimeout(() => this.refresh().catch(() => {}), 10000);
          } else if (error.status === 401) {
            this.end();
          }
          throw error;
        })
        .finally(() => { this.refreshing = null; });
    }
    return this.refreshing;
  }

  end() {
    const was = this.token !== null;
    this.token = null;
    this.expiresAt = 0;
    clearTimeout(this.timer);
    if (was) this.emit("signed-out");
  }

  async signOut() {
    try { await postSession("/auth/web/logout"); } catch { /* the cookie is cleared anyway */ }
    this.end();
  }

  authorization() { return this.token ? `Bearer ${this.token}` : null; }
}

export const session = new Session();

async function send(endpoint, query, variables, files, extra) {
  const headers = { ...extra };
  const auth = session.authorization();
  if (auth) headers.Authorization = auth;
  let body;
  if (files && Object.keys(files).length) {
    // The GraphQL multipart request spec: operations, map, then the files.
    body = new FormData();
    body.append("operations", JSON.stringify({ query, variables }));
    const map = {};
    Object.keys(files).forEach((path, i) => { map[String(i)] = [path]; });
    body.append("map", JSON.stringify(map));
    Object.values(files).forEach((file, i) => body.append(String(i), file));
  } else {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify({ query, variables });
  }
  try {
    return await fetch(endpoint, { method: "POST", headers, body, credentials: "omit" });
  } catch {
    throw new ApiError("NETWORK", "network error");
  }
}

/**
 * gql(query, variables, {endpoint, files}) -> data.
 * Throws ApiError for a request-level error (HTTP status, or the first GraphQL error's
 * extensions.code). A 401 refreshes the token once and retries. Mutation payloads carry
 * their own typed errors: read them with payloadErrors().
 * files: {"variables.photos.0": File, …} sends a multipart request.
 */
export async function gql(query, variables = {}, { endpoint = config.endpoint, files, headers = {} } = {}) {
  let response = await send(endpoint, query, variables, files, headers);
  if (response.status === 401 && session.token) {
    await session.refresh();
    response = await send(endpoint, query, variables, files, headers);
  }
  let body = null;
  try { body = await response.json(); } catch { /* not JSON */ }
  if (!body) throw new ApiError(`HTTP_${response.status}`, response.statusText, null, response.status);
  const first = (body.errors || [])[0];
  if (first && (!body.data || response.status >= 400)) {
    throw new ApiError(first.extensions?.code || `HTTP_${response.status}`, first.message, first.extensions?.field || null, response.status);
  }
  if (first) throw new ApiError(first.extensions?.code || "INTERNAL", first.message, first.extensions?.field || null, response.status);
  return body.data;
}

/** The typed errors of a mutation payload ({errors: [{code, field, message}]}). */
export const payloadErrors = (payload) => (payload && payload.errors) || [];

/** A fresh idempotency key for one create (sent again on every retry of it). */
export const newClientKey = () => crypto.randomUUID();

/** POST a JSON body to one of the /auth/totp routes, with the page's bearer token when
 * signed in; the answer's JSON, or an ApiError. */
export async function postAuth(path, body = {}) {
  const headers = { "Content-Type": "application/json" };
  const auth = session.authorization();
  if (auth) headers.Authorization = auth;
  let response;
  try {
    response = await fetch(path, { method: "POST", headers, body: JSON.stringify(body), credentials: "omit" });
  } catch {
    throw new ApiError("NETWORK", "network error");
  }
  if (!response.ok) throw await readError(response);
  return response.json();
}
