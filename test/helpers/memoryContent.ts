/**
 * An in-memory `ContentStore` for unit tests: raw-codec, sha2-256 CIDv1 (what Helia's raw leaves use for
 * single-block content), `get` of an unknown CID rejects after the timeout like a store that found no
 * provider. Several stores may share one `Map` to play nodes that can fetch from each other.
 */
import { CID } from "multiformats/cid";
import { sha256 } from "multiformats/hashes/sha2";
import type { ContentStore } from "../../worker/content/types.js";

const RAW = 0x55;

export class MemoryContentStore implements ContentStore {
  readonly pins = new Set<string>();
  gets = 0;

  constructor(readonly blocks: Map<string, Uint8Array> = new Map()) {}

  async add(bytes: Uint8Array): Promise<string> {
    const cid = CID.create(1, RAW, await sha256.digest(bytes)).toString();
    this.blocks.set(cid, new Uint8Array(bytes));
    this.pins.add(cid);
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

  async pin(cid: string): Promise<void> {
    this.pins.add(cid);
  }

  async unpin(cid: string): Promise<void> {
    this.pins.delete(cid);
  }

  toBytes(cid: string): Uint8Array {
    return CID.parse(cid).bytes;
  }

  fromBytes(bytes: Uint8Array): string {
    return CID.decode(bytes).toString();
  }
}
