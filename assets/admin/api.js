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
  }

  async request(method, path, body, { raw = false } = {}) {
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
      throw new ApiError(response.status, problem);
    }
    if (raw) return response;
    if (response.status === 204) return null;
    return response.json();
  }

  get(path) { return this.request("GET", path); }
  post(path, body = {}) { return this.request("POST", path, body); }
}
