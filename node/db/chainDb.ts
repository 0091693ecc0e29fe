/**
 * The node's LevelDB: one database, columns by key prefix. Block import writes a header, its body, its
 * state's new trie nodes, the canonical index and the head pointers in ONE atomic batch, so a crash at
 * any moment leaves either the whole block or none of it.
 *
 *   0x01 ++ node hash      -> trie node (see node/state)
 *   0x02 ++ block hash     -> SCALE header
 *   0x03 ++ block hash     -> SCALE body (Vec<Extrinsic>)
 *   0x04 ++ block hash     -> justification
 *   0x05 ++ u32 BE number  -> canonical block hash at that height
 *   0x06 ++ name           -> meta: "best", "finalized", "genesis" block hashes
 */
import { Level } from "level";
import { TensorchainError } from "../../primitives/errors.js";
import { concat } from "../../primitives/hashing.js";
import { TrieNodeStore } from "../state/index.js";

export type ChainDbErrorType = { code: "CHAIN_DB_ERROR_OPEN"; path: string; reason: string };
export class ChainDbError extends TensorchainError<ChainDbErrorType> {}

const COL_HEADER = 0x02;
const COL_BODY = 0x03;
const COL_JUSTIFICATION = 0x04;
const COL_CANONICAL = 0x05;
const COL_META = 0x06;

export type MetaKey = "best" | "finalized" | "genesis";

const key = (col: number, suffix: Uint8Array) => concat(Uint8Array.of(col), suffix);
const numberKey = (n: number) => {
  const k = new Uint8Array(5);
  k[0] = COL_CANONICAL;
  new DataView(k.buffer).setUint32(1, n, false);
  return k;
};
const metaKey = (name: MetaKey) => key(COL_META, new TextEncoder().encode(name));

export type DbOp = { type: "put"; key: Uint8Array; value: Uint8Array } | { type: "del"; key: Uint8Array };

/** A set of writes that land together or not at all. */
export class WriteBatch {
  readonly ops: DbOp[] = [];
  put(k: Uint8Array, value: Uint8Array): this {
    this.ops.push({ type: "put", key: k, value });
    return this;
  }
  del(k: Uint8Array): this {
    this.ops.push({ type: "del", key: k });
    return this;
  }
  putHeader(hash: Uint8Array, header: Uint8Array): this {
    return this.put(key(COL_HEADER, hash), header);
  }
  putBody(hash: Uint8Array, body: Uint8Array): this {
    return this.put(key(COL_BODY, hash), body);
  }
  putJustification(hash: Uint8Array, j: Uint8Array): this {
    return this.put(key(COL_JUSTIFICATION, hash), j);
  }
  putCanonical(n: number, hash: Uint8Array): this {
    return this.put(numberKey(n), hash);
  }
  delCanonical(n: number): this {
    return this.del(numberKey(n));
  }
  putMeta(name: MetaKey, hash: Uint8Array): this {
    return this.put(metaKey(name), hash);
  }
}

export class ChainDb {
  readonly trieNodes: TrieNodeStore;

  private constructor(
    private readonly db: Level<Uint8Array, Uint8Array>,
    readonly path: string,
  ) {
    this.trieNodes = new TrieNodeStore(db);
  }

  static async open(path: string): Promise<ChainDb> {
    const db = new Level<Uint8Array, Uint8Array>(path, { keyEncoding: "view", valueEncoding: "view" });
    try {
      await db.open();
    } catch (err) {
      const cause = (err as { cause?: Error }).cause;
      throw new ChainDbError(
        { code: "CHAIN_DB_ERROR_OPEN", path, reason: cause?.message ?? (err as Error).message },
        `Cannot open database at ${path}: ${cause?.message ?? (err as Error).message}`,
      );
    }
    return new ChainDb(db, path);
  }

  get level(): Level<Uint8Array, Uint8Array> {
    return this.db;
  }

  async write(batch: WriteBatch): Promise<void> {
    await this.db.batch(batch.ops);
  }

  header(hash: Uint8Array): Promise<Uint8Array | undefined> {
    return this.db.get(key(COL_HEADER, hash));
  }

  body(hash: Uint8Array): Promise<Uint8Array | undefined> {
    return this.db.get(key(COL_BODY, hash));
  }

  justification(hash: Uint8Array): Promise<Uint8Array | undefined> {
    return this.db.get(key(COL_JUSTIFICATION, hash));
  }

  canonicalHash(n: number): Promise<Uint8Array | undefined> {
    return this.db.get(numberKey(n));
  }

  meta(name: MetaKey): Promise<Uint8Array | undefined> {
    return this.db.get(metaKey(name));
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}
