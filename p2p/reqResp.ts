/**
 * Request-response over libp2p streams: the requester opens a stream on the protocol, writes one
 * varint-length-prefixed frame and closes its write side; the responder reads one frame, answers with
 * one frame and closes. Each side reads with a size limit that is checked against the length prefix,
 * so an oversized frame is refused before its body is read, let alone decoded. The whole exchange
 * runs under one deadline.
 */
import type { Libp2p, PeerId, Stream } from "@libp2p/interface";
import { lpStream } from "@libp2p/utils";
import { P2pError } from "./errors.js";

function isOversizeError(err: unknown): boolean {
  const name = (err as { name?: string } | null)?.name;
  return name === "InvalidDataLengthError" || name === "InvalidDataLengthLengthError";
}

/** The announced size in a libp2p "Message length too long - N > M" error, or -1. */
function announcedSize(err: unknown): number {
  const m = /- (\d+) >/.exec((err as Error).message ?? "");
  return m === null ? -1 : Number(m[1]);
}

function streamError(protocol: string, peerId: string, err: unknown, signal: AbortSignal, limit: number): P2pError {
  if (err instanceof P2pError) return err;
  if (isOversizeError(err)) {
    return new P2pError({ code: "P2P_ERROR_OVERSIZED", protocol, size: announcedSize(err), limit });
  }
  if (signal.aborted) return new P2pError({ code: "P2P_ERROR_TIMEOUT", protocol, peerId });
  const e = err as Error;
  return new P2pError({ code: "P2P_ERROR_STREAM", protocol, peerId, reason: `${e.name}: ${e.message}` });
}

export interface RequestOptions {
  maxResponseBytes: number;
  timeoutMs: number;
}

/** Sends one request frame and returns the response frame. Throws a `P2pError` (OVERSIZED, TIMEOUT, STREAM). */
export async function sendRequest(
  libp2p: Libp2p,
  peerId: PeerId,
  protocol: string,
  request: Uint8Array,
  opts: RequestOptions,
): Promise<Uint8Array> {
  const signal = AbortSignal.timeout(opts.timeoutMs);
  const peer = peerId.toString();
  let stream: Stream;
  try {
    stream = await libp2p.dialProtocol(peerId, protocol, { signal });
  } catch (err) {
    throw streamError(protocol, peer, err, signal, opts.maxResponseBytes);
  }
  try {
    const lp = lpStream(stream, { maxDataLength: opts.maxResponseBytes });
    await lp.write(request, { signal });
    await stream.close({ signal });
    const response = await lp.read({ signal });
    return response.subarray();
  } catch (err) {
    const e = streamError(protocol, peer, err, signal, opts.maxResponseBytes);
    stream.abort(e);
    throw e;
  }
}

export interface ServeOptions {
  maxRequestBytes: number;
  timeoutMs: number;
}

/**
 * Reads one request frame, lets `handle` answer it and writes the answer. Throws a `P2pError`
 * (OVERSIZED, TIMEOUT, STREAM, or whatever `handle` threw) after aborting the stream.
 */
export async function serveRequest(
  stream: Stream,
  peerId: string,
  protocol: string,
  opts: ServeOptions,
  handle: (request: Uint8Array, signal: AbortSignal) => Promise<Uint8Array>,
): Promise<void> {
  const signal = AbortSignal.timeout(opts.timeoutMs);
  try {
    const lp = lpStream(stream, { maxDataLength: opts.maxRequestBytes });
    const request = await lp.read({ signal });
    const response = await handle(request.subarray(), signal);
    await lp.write(response, { signal });
    await stream.close({ signal });
  } catch (err) {
    const e = streamError(protocol, peerId, err, signal, opts.maxRequestBytes);
    stream.abort(e);
    throw e;
  }
}
