// A graphql-transport-ws client for the live feeds (reportEvents). It signs in with the
// page's bearer token in connection_init, renews the socket's caller with a ping
// carrying each refreshed token (no reconnect, no lost event), and reconnects with
// backoff after a network loss. Close codes: 4401 (token ended: refresh, reconnect),
// 4403 (no longer allowed: stop), 1013 (try again).

import { session } from "./api.js";

export class LiveClient {
  /** url: the GraphQL path (e.g. /t/slug/graphql); onStatus(connected: boolean). */
  constructor(path, onStatus = () => {}) {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    this.url = `${scheme}://${location.host}${path}`;
    this.onStatus = onStatus;
    this.subs = new Map();
    this.nextId = 1;
    this.socket = null;
    this.acked = false;
    this.connectedBefore = false;
    this.closed = false;
    this.backoff = 1000;
    this.off = session.on((event) => {
      if (event === "refreshed") this.renew();
      // Made while signed out (no token, no socket): connect once signed in.
      if (event === "signed-in" && !this.socket) this.connect();
      if (event === "signed-out") this.close();
    });
    this.connect();
  }

  connect() {
    if (this.closed || !session.token) return;
    const socket = new WebSocket(this.url, "graphql-transport-ws");
    this.socket = socket;
    this.acked = false;
    socket.onopen = () => socket.send(JSON.stringify({ type: "connection_init", payload: { Authorization: session.authorization() } }));
    socket.onmessage = (event) => this.receive(JSON.parse(event.data));
    socket.onclose = (event) => this.lost(event.code);
  }

  receive(message) {
    if (message.type === "connection_ack") {
      this.acked = true;
      this.backoff = 1000;
      this.onStatus(true);
      // A reconnect: events of the gap are not replayed, so each feed's `resumed()`
      // reads its data again (after the feed restarted: nothing falls in between).
      const again = this.connectedBefore;
      this.connectedBefore = true;
      for (const [id, sub] of this.subs) {
        this.start(id, sub);
        if (again && sub.resumed) sub.resumed();
      }
    } else if (message.type === "next") {
      this.subs.get(message.id)?.next(message.payload);
    } else if (message.type === "error") {
      this.subs.get(message.id)?.error?.(message.payload);
    } else if (message.type === "complete") {
      const sub = this.subs.get(message.id);
      // The server ends a feed when the token it started with lapses: start it again.
      if (sub && this.acked) this.start(message.id, sub);
    } else if (message.type === "ping") {
      this.socket.send(JSON.stringify({ type: "pong" }));
    }
  }

  start(id, sub) {
    this.socket.send(JSON.stringify({ id, type: "subscribe", payload: { query: sub.query, variables: sub.variables } }));
  }

  async lost(code) {
    this.onStatus(false);
    this.acked = false;
    if (this.closed) return;
    if (code === 4403) { this.closed = true; return; }
    if (code === 4401) {
      try { await session.refresh(); } catch { return; }
    }
    setTimeout(() => this.connect(), this.backoff);
    this.backoff = Math.min(this.backoff * 2, 15000);
  }

  renew() {
    if (this.socket && this.socket.readyState === WebSocket.OPEN) {
      this.socket.send(JSON.stringify({ type: "ping", payload: { Authorization: session.authorization() } }));
    } else {
      this.connect();
    }
  }

  /** subscribe(query, variables, {next(payload), error(errors), resumed()?}) -> unsubscribe().
   * resumed(): called after a reconnect (events missed while offline are not replayed). */
  subscribe(query, variables, handlers) {
    const id = String(this.nextId++);
    const sub = { query, variables, ...handlers };
    this.subs.set(id, sub);
    if (this.acked) this.start(id, sub);
    return () => {
      this.subs.delete(id);
      if (this.acked) this.socket.send(JSON.stringify({ id, type: "complete" }));
    };
  }

  close() {
    this.closed = true;
    this.off();
    this.subs.clear();
    if (this.socket) this.socket.close(1000);
  }
}
