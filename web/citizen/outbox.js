// Reports written on this phone, kept in IndexedDB until the server has them. Each keeps
// its clientKey from the moment it was written, so every try (after a lost answer, a
// reload, a second tab) is the same create: the server answers a retry with the first
// report, the same ticket and PIN, and never makes a second one. The SOS is never here.

import { ApiError, gql, payloadErrors, session } from "../common/api.js";

const DB = "jogo-citizen";
const STORE = "outbox";
// Names this app to the server, so its reports are recorded as channel WEB.
const CLIENT = { "X-Jogo-Client": "citizen" };
const listeners = new Set();
let flushing = null;

const SUBMIT = `mutation Submit($input: SubmitReportInput!) {
  submitReport(input: $input) { report { id ticket status } pin errors { code field message } } }`;

function open() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB, 1);
    request.onupgradeneeded = () => {
      request.result.createObjectStore(STORE, { keyPath: "clientKey" });
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function run(mode, work) {
  const db = await open();
  try {
    return await new Promise((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const store = tx.objectStore(STORE);
      let result;
      Promise.resolve(work(store)).then((value) => { result = value; }, reject);
      tx.oncomplete = () => resolve(result);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  } finally {
    db.close();
  }
}

const wrap = (request) => new Promise((resolve, reject) => {
  request.onsuccess = () => resolve(request.result);
  request.onerror = () => reject(request.error);
});

/** Every kept report, oldest first: {clientKey, scope, input, photos: [Blob], signedIn,
 * state: "waiting" | "sent" | "failed", ticket, pin, errors, createdAt}. */
export async function items(scope) {
  const all = await run("readonly", (store) => wrap(store.getAll()));
  return all.filter((i) => i.scope === scope).sort((a, b) => a.createdAt - b.createdAt);
}

async function put(item) {
  await run("readwrite", (store) => wrap(store.put(item)));
  for (const fn of [...listeners]) fn(item);
}

/** Forget one kept report (the citizen dismissed it). */
export async function remove(clientKey) {
  await run("readwrite", (store) => wrap(store.delete(clientKey)));
  for (const fn of [...listeners]) fn(null);
}

/** fn(item | null) after every change. Returns the unsubscribe function. */
export function onChange(fn) { listeners.add(fn); return () => listeners.delete(fn); }

/** Keep a new report (before its first try). */
export async function keep(item) {
  await put({ state: "waiting", ticket: null, pin: null, errors: [], createdAt: Date.now(), ...item });
}

/** Whether an error means "no signal / try again later" rather than "this report is wrong". */
export function transient(error) {
  if (!(error instanceof ApiError)) return true;
  return error.code === "NETWORK" || error.code === "UNAVAILABLE" || error.code === "RATE_LIMITED"
    || error.status >= 500 || error.status === 0 || error.status === 429;
}

/** One try of one kept report: "sent" (ticket, PIN), "failed" (the server refused it:
 * errors) or still "waiting" (no signal). Returns the updated item. */
export async function send(item, endpoint) {
  if (item.signedIn && !session.token) return item; // its key belongs to the signed-in citizen
  const photos = item.photos || [];
  const input = { ...item.input, clientKey: item.clientKey, photos: photos.length ? photos.map(() => null) : null };
  const files = {};
  photos.forEach((blob, i) => {
    files[`variables.input.photos.${i}`] = new File([blob], `foto-${i + 1}.jpg`, { type: blob.type || "image/jpeg" });
  });
  let payload;
  try {
    payload = (await gql(SUBMIT, { input }, { endpoint, files, headers: CLIENT })).submitReport;
  } catch (error) {
    if (transient(error)) return item;
    const failed = { ...item, state: "failed", errors: [{ code: error.code, field: error.field, message: error.message }] };
    await put(failed);
    return failed;
  }
  const errors = payloadErrors(payload);
  if (errors.length && item.input.occurredAt && errors.every((e) => String(e.field || "").endsWith("occurredAt"))) {
    // The phone's clock is off: refused, so nothing was made; the server's time it is.
    const { occurredAt, ...rest } = item.input;
    const fixed = { ...item, input: rest };
    await put(fixed);
    return send(fixed, endpoint);
  }
  if (errors.length) {
    if (errors.every((e) => e.code === "RATE_LIMITED")) return item;
    const failed = { ...item, state: "failed", errors };
    await put(failed);
    return failed;
  }
  // Sent: the photos are on the server now; keep the ticket and PIN for the citizen.
  const sent = { ...item, state: "sent", photos: [], ticket: payload.report.ticket, pin: payload.pin || null, sentAt: Date.now() };
  await put(sent);
  return sent;
}

/** Try every waiting report once, one flush at a time in this page, and one page at a
 * time across tabs (Web Locks, where the browser has them). */
export function flush(scope, endpoint) {
  if (!flushing) {
    const work = async () => {
      for (const item of await items(scope)) {
        if (item.state === "waiting") await send(item, endpoint);
      }
    };
    const locked = navigator.locks ? () => navigator.locks.request(`jogo-outbox:${scope}`, work) : work;
    flushing = Promise.resolve().then(locked).catch(() => {}).finally(() => { flushing = null; });
  }
  return flushing;
}
