/**
 * Storage changes made while executing a block, on top of a read-only state backend, with nested
 * transactions: a failed extrinsic (or a failed call inside `utility.batch`) rolls back exactly its own
 * writes. Keys are kept as latin1 strings internally: cheap to build and exact for arbitrary bytes.
 */
import { TensorchainError } from "../../primitives/errors.js";

/** Read access to the state a block executes on (the parent block's trie). */
export interface StateBackend {
  get(key: Uint8Array): Uint8Array | undefined;
  /** Keys starting with `prefix`, in ascending byte order. */
  keys(prefix: Uint8Array): Iterable<Uint8Array>;
}

export type OverlayErrorType =
  | { code: "OVERLAY_ERROR_NO_TRANSACTION" }
  | { code: "OVERLAY_ERROR_TOO_DEEP"; depth: number };
export class OverlayError extends TensorchainError<OverlayErrorType> {}

/** A value of `null` records a deletion. */
type Layer = Map<string, Uint8Array | null>;

const MAX_TRANSACTION_DEPTH = 255;

export function keyToString(key: Uint8Array): string {
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString("latin1");
}

export function stringToKey(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, "latin1"));
}

export class OverlayedChanges {
  /** layers[0] holds committed changes; each open transaction adds one layer on top. */
  private readonly layers: Layer[] = [new Map()];

  constructor(private readonly backend: StateBackend) {}

  get transactionDepth(): number {
    return this.layers.length - 1;
  }

  get(key: Uint8Array): Uint8Array | undefined {
    const k = keyToString(key);
    for (let i = this.layers.length - 1; i >= 0; i--) {
      const v = this.layers[i].get(k);
      if (v !== undefined) return v ?? undefined;
    }
    return this.backend.get(key);
  }

  set(key: Uint8Array, value: Uint8Array): void {
    this.layers[this.layers.length - 1].set(keyToString(key), value);
  }

  clear(key: Uint8Array): void {
    this.layers[this.layers.length - 1].set(keyToString(key), null);
  }

  /** All keys under `prefix` as seen through the overlay, in ascending byte order. */
  keys(prefix: Uint8Array): Uint8Array[] {
    const p = keyToString(prefix);
    const merged = new Map<string, boolean>();
    for (const key of this.backend.keys(prefix)) merged.set(keyToString(key), true);
    for (const layer of this.layers) {
      for (const [k, v] of layer) if (k.startsWith(p)) merged.set(k, v !== null);
    }
    return [...merged]
      .filter(([, live]) => live)
      .map(([k]) => k)
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
      .map(stringToKey);
  }

  clearPrefix(prefix: Uint8Array): number {
    const keys = this.keys(prefix);
    for (const key of keys) this.clear(key);
    return keys.length;
  }

  startTransaction(): void {
    if (this.layers.length > MAX_TRANSACTION_DEPTH)
      throw new OverlayError({ code: "OVERLAY_ERROR_TOO_DEEP", depth: this.layers.length });
    this.layers.push(new Map());
  }

  commitTransaction(): void {
    if (this.layers.length < 2) throw new OverlayError({ code: "OVERLAY_ERROR_NO_TRANSACTION" });
    const top = this.layers.pop()!;
    const below = this.layers[this.layers.length - 1];
    for (const [k, v] of top) below.set(k, v);
  }

  rollbackTransaction(): void {
    if (this.layers.length < 2) throw new OverlayError({ code: "OVERLAY_ERROR_NO_TRANSACTION" });
    this.layers.pop();
  }

  /** Runs `fn` in a transaction: committed if it returns normally, rolled back if it throws. */
  withTransaction<R>(fn: () => R): R {
    this.startTransaction();
    try {
      const result = fn();
      this.commitTransaction();
      return result;
    } catch (err) {
      this.rollbackTransaction();
      throw err;
    }
  }

  /** The committed changes; only valid with no open transaction. */
  drain(): [Uint8Array, Uint8Array | null][] {
    if (this.layers.length !== 1) throw new OverlayError({ code: "OVERLAY_ERROR_NO_TRANSACTION" });
    return [...this.layers[0]].map(([k, v]) => [stringToKey(k), v]);
  }
}
