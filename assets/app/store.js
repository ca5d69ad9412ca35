// What the app keeps on this device between visits: who signed in last (to open offline), and the
// writes made offline (the outbox), sent in order once the connection returns. Each write belongs to
// the account that made it and is only ever sent for that account. What the service worker kept of
// an account's answers goes when its session ends, and when another account signs in.
const USER = "sn-app-user";
const OUTBOX = "sn-app-outbox";
// The service worker keeps answers only while this cache exists (see sw.js).
const DATA_CACHE = "sn-data";

export function lastUser() {
  try { return JSON.parse(localStorage.getItem(USER)); } catch { return null; }
}

// The account signed in now: another account's kept answers go first.
export async function rememberUser(user) {
  const previous = lastUser();
  if (previous && previous.id !== user.id) await forgetData();
  localStorage.setItem(USER, JSON.stringify({ id: user.id, email: user.email, role: user.role, language: user.language }));
  if ("caches" in self) await caches.open(DATA_CACHE);
}

// The kept answers and who they were for: the session is over. The outbox stays for its owner.
export async function forgetData() {
  localStorage.removeItem(USER);
  if ("caches" in self) await caches.delete(DATA_CACHE);
}

// Sign-out: the kept answers and this account's unsent writes too (the athlete was asked first).
export async function forgetAll(userId) {
  await forgetData();
  save(all().filter((w) => w.user !== userId));
}

function all() {
  try { return JSON.parse(localStorage.getItem(OUTBOX)) ?? []; } catch { return []; }
}

function save(writes) {
  if (writes.length) localStorage.setItem(OUTBOX, JSON.stringify(writes));
  else localStorage.removeItem(OUTBOX);
}

// The unsent writes of `userId`, oldest first.
export function outbox(userId) {
  return all().filter((w) => w.user === userId);
}

// Queues a write of `user`: `key` names what it replaces (a second write of the same day replaces
// the first, as the server would), `label` says what it is to the athlete.
export function enqueue(user, write) {
  const queued = all().filter((w) => !(w.user === user && w.key === write.key));
  queued.push({ ...write, user, queuedAt: `${Date.now()}-${Math.random().toString(36).slice(2)}` });
  save(queued);
}

// A write sent directly supersedes a queued one of the same thing.
export function supersede(user, key) {
  save(all().filter((w) => !(w.user === user && w.key === key)));
}

// Takes out exactly this write: another of the same key queued meanwhile stays.
function done(write) {
  save(all().filter((w) => w.queuedAt !== write.queuedAt));
}

// Sends `userId`'s queued writes, oldest first, through `send(method, path, body)`. A write the
// server refuses (a 4xx) is taken out and returned to be shown; a network failure or a server
// error stops the run, keeping the rest for the next. Returns what was sent and what was refused.
export async function flush(userId, send) {
  const sent = [], refused = [];
  for (const write of outbox(userId)) {
    try {
      await send(write.method, write.path, write.body);
      sent.push(write);
      done(write);
    } catch (error) {
      if (error?.status >= 400 && error.status < 500 && ![401, 408, 429].includes(error.status)) {
        refused.push({ write, error });
        done(write);
      } else {
        break;
      }
    }
  }
  return { sent, refused };
}
