/**
 * The content store's contract: job artifacts (models, datasets, results) addressed by CIDv1 in
 * their string form (base32, `bafy…`/`bafk…`). The node's implementation is Helia on the node's own
 * libp2p host with a LevelDB blockstore; tests may use an in-memory one.
 */
export interface ContentStore {
  /**
   * Stores `bytes` and pins them for `holder` (default `"user"`); resolves to the CIDv1 string. Adding
   * the same bytes twice gives the same CID. `announce: false` keeps the CID out of the DHT (a hidden
   * test set: whoever learns the CID can fetch the content, and provider records are public).
   */
  add(bytes: Uint8Array, opts?: { announce?: boolean; holder?: string }): Promise<string>;
  /**
   * The bytes of `cid`, from the local blockstore or fetched from peers. Rejects with a
   * `ContentError` (`CONTENT_ERROR_NOT_FOUND` after `timeoutMs`, `CONTENT_ERROR_INVALID_CID`,
   * `CONTENT_ERROR_TOO_LARGE` above `maxBytes`).
   */
  get(cid: string, opts?: { timeoutMs?: number; maxBytes?: number }): Promise<Uint8Array>;
  /** True when every block of `cid` is in the local blockstore. */
  has(cid: string): Promise<boolean>;
  /**
   * Keeps `cid` (and its blocks, fetched if needed) in the local store for `holder` (default `"user"`,
   * a job role uses `job:<id>`) until that holder lets go. `maxBytes` refuses a larger file before
   * fetching it.
   */
  pin(cid: string, opts?: { timeoutMs?: number; holder?: string; maxBytes?: number }): Promise<void>;
  /** Releases `holder`'s pin; `cid` can be garbage-collected once nobody holds it. */
  unpin(cid: string, opts?: { holder?: string }): Promise<void>;
  /** Every hold whose holder name starts with `holderPrefix`. */
  holdings(holderPrefix?: string): Promise<{ cid: string; holder: string }[]>;
  /** Deletes the blocks nobody holds; resolves to how many. */
  gc(): Promise<number>;
  /** The binary CID (as stored on chain in job specs and results) for a CID string, and back. */
  toBytes(cid: string): Uint8Array;
  fromBytes(bytes: Uint8Array): string;
}
