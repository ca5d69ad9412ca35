// The public API (/api/v1) with the access token held in memory only: a reload signs out.
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

export class Api {
  #token = null;
  user = null;
  // Asks the admin for their password again (a promise of it, or null when they cancel): destructive
  // operations need it entered lately. Set by the app, which owns the dialogs.
  askPassword = null;

  get signedIn() {
    return this.#token !== null;
  }

  async login(email, password) {
    const tokens = await this.request("POST", "/auth/login", { email, password });
    this.#token = tokens.token;
    this.user = tokens.user;
    return tokens.user;
  }

  signOut() {
    this.#token = null;
    this.user = null;
    this.#confirmedAt = 0;
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

  async request(method, path, body, { raw = false, confirmed = false } = {}) {
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
      let problem = null;
      try { problem = await response.json(); } catch { /* not JSON */ }
      if (response.status === 401 && path !== "/auth/login") this.signOut();
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
