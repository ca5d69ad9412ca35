// The public API (/api/v1) with the access token held in memory. The session outlives a reload
// through the app's session calls (/admin/session, /app/session), which keep the refresh token in an
// HttpOnly cookie the page never reads: on load, and whenever the access token has expired, the
// page asks them for a new one.
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

async function problemOf(response) {
  try { return await response.json(); } catch { return null; }
}

export class Api {
  #sessionPath;
  #header;
  #token = null;
  #refreshing = null;
  user = null;
  // Asks the admin for their password again (a promise of it, or null when they cancel): destructive
  // operations need it entered lately. Set by the app, which owns the dialogs.
  askPassword = null;

  // `session`: the path of the app's session calls; `header`: the header they require.
  constructor({ session, header }) {
    this.#sessionPath = session;
    this.#header = header;
  }

  get signedIn() {
    return this.#token !== null;
  }

  login(email, password) {
    return this.#session("POST", this.#sessionPath, { email, password });
  }

  // Creates the first admin with a setup link's token, and signs them in.
  setUp(token, email, password, language) {
    return this.#session("POST", `${this.#sessionPath}/setup`, { token, email, password, language });
  }

  // Keeps a session the public API opened (registration answers with its tokens) the way a sign-in
  // here would: the refresh token is used once, and its successor goes into the cookie.
  adopt(refreshToken) {
    return this.#session("POST", `${this.#sessionPath}/adopt`, { refresh_token: refreshToken });
  }

  // Picks up the session the cookie still holds (after a reload): true when there is one.
  async resume() {
    try {
      await this.#refresh();
      return true;
    } catch (e) {
      if (e instanceof ApiError && (e.status === 401 || e.status === 403)) return false;
      throw e;
    }
  }

  // Ends the session on the server too, and clears the cookie: true when the server did. The
  // cookie is out of the page's reach, so a sign-out the server never heard leaves it working for
  // the next load.
  async signOut() {
    this.#forget();
    try {
      const response = await fetch(this.#sessionPath, { method: "DELETE", headers: { [this.#header]: "1" }, credentials: "same-origin" });
      return response.ok;
    } catch {
      return false;
    }
  }

  #forget() {
    this.#token = null;
    this.user = null;
    this.#confirmedAt = 0;
  }

  async #session(method, path, body) {
    const headers = { accept: "application/json", [this.#header]: "1" };
    if (body !== undefined) headers["content-type"] = "application/json";
    const response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
    });
    if (!response.ok) throw new ApiError(response.status, await problemOf(response));
    const session = await response.json();
    this.#token = session.token;
    this.user = session.user;
    return session.user;
  }

  // One refresh at a time: a refresh token works once, and presenting it twice ends the session.
  // Tabs of one browser share the cookie, so where the browser has Web Locks they take turns too.
  #refresh() {
    const refresh = () => this.#session("POST", `${this.#sessionPath}/refresh`);
    this.#refreshing ??= (navigator.locks ? navigator.locks.request(`sn-refresh${this.#sessionPath}`, refresh) : refresh())
      .finally(() => { this.#refreshing = null; });
    return this.#refreshing;
  }

  // When the password was last entered again (ms), to ask only once while the server still
  // accepts it (auth.reauthentication_window_secs, 300 s unless an operator shortened it).
  #confirmedAt = 0;

  // A destructive operation: asks for the password first unless it was entered lately.
  async destructive(method, path, body) {
    if (this.askPassword && Date.now() - this.#confirmedAt > 240_000) {
      const password = await this.askPassword();
      if (password === null) throw new ApiError(0, { detail: "" });
      await this.request("POST", "/auth/reauthenticate", { password });
      this.#confirmedAt = Date.now();
    }
    return this.request(method, path, body);
  }

  async request(method, path, body, { raw = false, confirmed = false, renewed = false } = {}) {
    const headers = { accept: "application/json" };
    if (body !== undefined) headers["content-type"] = "application/json";
    if (this.#token) headers.authorization = `Bearer ${this.#token}`;
    const response = await fetch(`/api/v1${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "omit",
    });
    if (!response.ok) {
      const problem = await problemOf(response);
      if (response.status === 401 && this.#token && !renewed) {
        // The access token expired: a new one from the cookie, then the same call again.
        if (await this.resume()) return this.request(method, path, body, { raw, confirmed, renewed: true });
        this.#forget();
      }
      if (response.status === 403 && problem?.detail_code === "reauthentication_required"
          && this.askPassword && !confirmed) {
        const password = await this.askPassword();
        if (password !== null) {
          await this.request("POST", "/auth/reauthenticate", { password });
          this.#confirmedAt = Date.now();
          return this.request(method, path, body, { raw, confirmed: true });
        }
      }
      throw new ApiError(response.status, problem);
    }
    if (raw) return response;
    if (response.status === 204) return null;
    return response.json();
  }

  get(path) { return this.request("GET", path); }
  post(path, body = {}) { return this.request("POST", path, body); }
}
