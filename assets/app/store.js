// What the app keeps on this device between visits: who signed in last (to open offline), and the
// writes made offline (the outbox), sent in order once the connection returns. Both are cleared at
// sign-out, with the service worker's copy of the athlete's data.
const USER = "sn-app-user";
const OUTBOX = "sn-app-outbox";
const DATA_CACHE = "sn-data";

export function lastUser() {
  try { return JSON.parse(localStorage.getItem(USER)); } catch { return null; }
}

// Another account's data never stays behind for the next one.
export async function rememberUser(user) {
  const previous = lastUser();
  if (previous && previous.id !== user.id) await forgetAll();
  localStorage.setItem(USER, JSON.stringify({ id: user.id, email: user.email, role: user.role, language: user.language }));
}

export async function forgetAll() {
  localStorage.removeItem(USER);
  localStorage.removeItem(OUTBOX);
  if ("caches" in self) await caches.delete(DATA_CACHE);
}

export function outbox() {
  try { return JSON.parse(localStorage.getItem(OUTBOX)) ?? []; } catch { return []; }
}

// Queues a write: `key` names what it replaces (a second write of the same day replaces the first,
// as the server would), `label` says what it is to the athlete.
export function enqueue(write) {
  const queued = outbox().filter((w) => w.key !== write.key);
  queued.push({ ...write, queuedAt: new Date().toISOString() });
  localStorage.setItem(OUTBOX, JSON.stringify(queued));
}

function drop(key) {
  localStorage.setItem(OUTBOX, JSON.stringify(outbox().filter((w) => w.key !== key)));
}

// Sends the queued writes, oldest first, through `send(method, path, body)`. A write the server
// refuses (a 4xx) is taken out and reported, not retried; a network failure stops the run, keeping
// the rest for the next. Returns what was sent and what was refused.
export async function flush(send) {
  const sent = [], refused = [];
  for (const write of outbox()) {
    try {
      await send(write.method, write.path, write.body);
      sent.push(write);
      drop(write.key);
    } catch (error) {
      if (error?.status >= 400 && error.status < 500 && error.status !== 401 && error.status !== 408 && error.status !== 429) {
        refused.push({ write, error });
        drop(write.key);
      } else {
        break;
      }
    }
  }
  return { sent, refused };
}
