/**
 * An in-memory `ContentStore` for unit tests: raw-codec, sha2-256 CIDv1 (what Helia's raw leaves use for
 * single-block content), `get` of an unknown CID rejects after the timeout like a store that found no
 * provider. Several stores may share one `Map` to play nodes that can fetch from each other.
 */
import { CID } from "multiformats/cid";
import { sha256 } from "multiformats/hashes/sha2";
import type { ContentStore } from "../../node/content/types.js";

const RAW = 0x55;

export class MemoryContentStore implements ContentStore {
  /** Holders per pinned CID. */
  readonly holds = new Map<string, Set<string>>();
  gets = 0;

  constructor(readonly blocks: Map<string, Uint8Array> = new Map()) {}

  /** CIDs somebody holds. */
  get pins(): Set<string> {
    return new Set(this.holds.keys());
  }

  async add(bytes: Uint8Array, opts: { holder?: string } = {}): Promise<string> {
    const cid = CID.create(1, RAW, await sha256.digest(bytes)).toString();
    this.blocks.set(cid, new Uint8Array(bytes));
    this.hold(cid, opts.holder ?? "user");
    return cid;
  }

  async get(cid: string, opts: { timeoutMs?: number; maxBytes?: number } = {}): Promise<Uint8Array> {
    this.gets++;
    let parsed: CID;
    try {
      parsed = CID.parse(cid);
    } catch {
      throw Object.assign(new Error(`Invalid CID ${cid}`), { code: "CONTENT_ERROR_INVALID_CID" });
    }
    const bytes = this.blocks.get(parsed.toString());
    if (!bytes) {
      await new Promise((r) => setTimeout(r, Math.min(opts.timeoutMs ?? 10, 50)));
      throw Object.assign(new Error(`Content ${cid} not found`), { code: "CONTENT_ERROR_NOT_FOUND" });
    }
    if (opts.maxBytes !== undefined && bytes.length > opts.maxBytes)
      throw Object.assign(new Error(`Content ${cid} is too large`), { code: "CONTENT_ERROR_TOO_LARGE" });
    return new Uint8Array(bytes);
  }

  async has(cid: string): Promise<boolean> {
    return this.blocks.has(cid);
  }

  async pin(cid: string, opts: { timeoutMs?: number; holder?: string; maxBytes?: number } = {}): Promise<void> {
    await this.get(cid, opts);
    this.hold(cid, opts.holder ?? "user");
  }

  async unpin(cid: string, opts: { holder?: string } = {}): Promise<void> {
    const set = this.holds.get(cid);
    set?.delete(opts.holder ?? "user");
    if (set?.size === 0) this.holds.delete(cid);
  }

  async holdings(holderPrefix = ""): Promise<{ cid: string; holder: string }[]> {
    return [...this.holds].flatMap(([cid, set]) =>
      [...set].filter((h) => h.startsWith(holderPrefix)).map((holder) => ({ cid, holder })),
    );
  }

  /** Deletes nothing: the block map may be shared by several test stores, so it is never swept. */
  async gc(): Promise<number> {
    return 0;
  }

  toBytes(cid: string): Uint8Array {
    return CID.parse(cid).bytes;
  }

  fromBytes(bytes: Uint8Array): string {
    return CID.decode(bytes).toString();
  }

  private hold(cid: string, holder: string): void {
    const set = this.holds.get(cid) ?? new Set<string>();
    set.add(holder);
    this.holds.set(cid, set);
  }
}
