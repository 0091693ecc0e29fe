// A small JSON-RPC 2.0 client over one WebSocket, as any other client of the node: calls, and
// subscriptions that are made again after a reconnect.

const RECONNECT_MIN_MS = 500;
const RECONNECT_MAX_MS = 5000;

export class RpcError extends Error {
  constructor(error) {
    super(error.message);
    this.code = error.code;
    this.data = error.data;
  }
}

export class RpcClient {
  constructor(url) {
    this.url = url;
    this.nextId = 1;
    this.pending = new Map();
    /** Live subscriptions by server id: handler. */
    this.handlers = new Map();
    /** What to subscribe again after a reconnect. */
    this.subscriptions = [];
    /** Notifications that arrived before their subscribe call resolved, by subscription id. */
    this.early = new Map();
    this.statusListeners = [];
    this.connected = false;
    this.delay = RECONNECT_MIN_MS;
    this.connect();
  }

  onStatus(listener) {
    this.statusListeners.push(listener);
    listener(this.connected);
  }

  connect() {
    const ws = new WebSocket(this.url);
    this.ws = ws;
    ws.onopen = () => {
      this.delay = RECONNECT_MIN_MS;
      this.setConnected(true);
      for (const sub of this.subscriptions) this.open(sub);
    };
    ws.onmessage = (event) => this.onMessage(event.data);
    ws.onclose = () => {
      for (const { reject } of this.pending.values()) reject(new Error("connection closed"));
      this.pending.clear();
      this.handlers.clear();
      this.early.clear();
      this.setConnected(false);
      setTimeout(() => this.connect(), this.delay);
      this.delay = Math.min(this.delay * 2, RECONNECT_MAX_MS);
    };
  }

  setConnected(value) {
    this.connected = value;
    for (const listener of this.statusListeners) listener(value);
  }

  onMessage(text) {
    let msg;
    try {
      msg = JSON.parse(text);
    } catch {
      return;
    }
    if (msg.id !== undefined && this.pending.has(msg.id)) {
      const { resolve, reject } = this.pending.get(msg.id);
      this.pending.delete(msg.id);
      if (msg.error) reject(new RpcError(msg.error));
      else resolve(msg.result);
      return;
    }
    const sub = msg.params?.subscription;
    if (sub === undefined) return;
    const handler = this.handlers.get(sub);
    if (handler) handler(msg.params.result);
    else {
      const queue = this.early.get(sub) ?? [];
      queue.push(msg.params.result);
      this.early.set(sub, queue);
    }
  }

  /** Calls `method`; rejects with an RpcError on an error answer, or when the connection drops. */
  call(method, params = []) {
    if (!this.connected) return Promise.reject(new Error("not connected"));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.ws.send(JSON.stringify({ jsonrpc: "2.0", id, method, params }));
    });
  }

  /** Subscribes now (if connected) and again after every reconnect; `handler` gets each value. */
  subscribe(method, params, handler) {
    const sub = { method, params, handler };
    this.subscriptions.push(sub);
    if (this.connected) this.open(sub);
  }

  open(sub) {
    this.call(sub.method, sub.params).then(
      (id) => {
        this.handlers.set(id, sub.handler);
        for (const value of this.early.get(id) ?? []) sub.handler(value);
        this.early.delete(id);
      },
      (err) => console.warn(`${sub.method} failed:`, err.message),
    );
  }
}
