/**
 * Options of the content store and of the chunked uploads that feed it over RPC.
 *
 * Every CID the store creates is CIDv1 from a UnixFS file import with the IPIP-499 `unixfs-v1-2025`
 * profile: raw leaves (`bafk…` for a file of one chunk, which is then a single raw block), 1 MiB chunks
 * and up to 1024 links per node (`bafy…`, dag-pb, above one chunk). A file is thus addressed exactly as
 * Kubo addresses it with `ipfs add --cid-version=1 --raw-leaves --chunker=size-1048576`, and any IPFS
 * tool can check a CID against the bytes. 1 MiB blocks are below bitswap's 4 MiB message limit.
 */

const MiB = 1024 * 1024;

export interface ContentStoreOptions {
  /**
   * Directory of the LevelDB blockstore (`<dir>/blocks`) and datastore (`<dir>/data`: pins, Helia's
   * metadata). Absent: both in memory (tests, `--tmp`-style throwaway stores).
   */
  directory?: string;
  /** Deadline of a `get` or `pin` that has to fetch from peers, unless the call names its own. */
  defaultTimeoutMs: number;
  /** Size cap of a `get`, unless the call names its own. */
  defaultMaxBytes: number;
  /**
   * Announce the root CID of added content in the DHT (in the background, best effort), so that a peer
   * that is not connected to us can find us. Peers already connected get bitswap wants without it.
   */
  provide: boolean;
  /** Deadline of one background DHT announcement. */
  provideTimeoutMs: number;
}

export const defaultContentStoreOptions: ContentStoreOptions = {
  defaultTimeoutMs: 60_000,
  defaultMaxBytes: 1024 * MiB,
  provide: true,
  provideTimeoutMs: 30_000,
};

/** Limits of the chunked uploads (`content_upload*` RPC). */
export interface UploadOptions {
  /** Largest single chunk, in bytes (its hex is twice that: keep it well under the RPC request limit). */
  maxChunkBytes: number;
  /** Largest declared size of one upload. */
  maxUploadBytes: number;
  /** Uploads open at once. */
  maxOpenUploads: number;
  /** Sum of the declared sizes of all open uploads (the memory they may hold). */
  maxOpenBytes: number;
  /** An upload that receives nothing for this long is dropped with its bytes. */
  idleTimeoutMs: number;
  /** How often abandoned uploads are looked for. */
  sweepIntervalMs: number;
}

export const defaultUploadOptions: UploadOptions = {
  maxChunkBytes: 4 * MiB,
  maxUploadBytes: 512 * MiB,
  maxOpenUploads: 8,
  maxOpenBytes: 1024 * MiB,
  idleTimeoutMs: 5 * 60_000,
  sweepIntervalMs: 30_000,
};
