/**
 * The answering side of request-response: status, block ranges, justifications and GRANDPA catch-up.
 * At most `maxInboundRequestsPerPeer` requests of one peer are served at once (more cost reputation and
 * are refused); oversized or malformed requests cost reputation. The answers come from the chain side's
 * `P2pHandlers`, trimmed to the count and size limits; a handler's failure becomes an error envelope.
 */
import type { Connection, Stream } from "@libp2p/interface";
import type { Logger } from "../primitives/logger.js";
import {
  blockToWire,
  decodeBlocksRequest,
  decodeCatchUpRequest,
  decodeJustificationRequest,
  decodeStatus,
  encodeErrorResponse,
  encodeOk,
  encodeStatusResponse,
} from "./codec.js";
import { describeError } from "./describeError.js";
import { P2pError } from "./errors.js";
import type { BlockData, BlockFields, ChainStatus, P2pModules, PeerReport } from "./interface.js";
import type { P2pOptions } from "./options.js";
import type { ProtocolIds } from "./protocols.js";
import { serveRequest } from "./reqResp.js";

/** msgpack overhead allowance per block part (key + bin header) when trimming a response to its limit. */
const WIRE_OVERHEAD_PER_PART = 24;

/** What serving needs from the host: reputation, and the statuses peers send with their requests. */
export interface InboundRequestsHost {
  reportPeer(peerId: string, report: PeerReport): number;
  /** Checks a peer's status (throws on another genesis, after reporting it) and records it. */
  acceptStatus(peerId: string, status: ChainStatus): void;
}

export class InboundRequests {
  /** Requests being served, per peer. */
  private readonly inflight = new Map<string, number>();

  constructor(
    private readonly opts: P2pOptions,
    private readonly modules: P2pModules,
    private readonly protocols: ProtocolIds,
    private readonly log: Logger,
    private readonly host: InboundRequestsHost,
  ) {}

  /** The peer disconnected: its in-flight count starts over. */
  forgetPeer(peerId: string): void {
    this.inflight.delete(peerId);
  }

  readonly onStatusStream = (stream: Stream, connection: Connection): Promise<void> => {
    const protocol = this.protocols.status;
    return this.serve(stream, connection, protocol, this.opts.limits.statusBytes, async (req, peer) => {
      const theirs = decodeStatus(protocol, req);
      this.host.acceptStatus(peer, theirs);
      const ours = await this.modules.handlers.onStatusRequest();
      return encodeStatusResponse(ours);
    });
  };

  readonly onBlocksStream = (stream: Stream, connection: Connection): Promise<void> => {
    const protocol = this.protocols.blocks;
    return this.serve(stream, connection, protocol, this.opts.limits.blocksRequestBytes, async (req, peer) => {
      const request = decodeBlocksRequest(protocol, req);
      const max = Math.min(request.max, this.opts.maxBlocksPerResponse);
      return this.answerWith(protocol, peer, async () => {
        const blocks = await this.modules.handlers.onBlocksRequest({ ...request, max }, peer);
        return this.trimBlocks(blocks.slice(0, max), request.fields);
      });
    });
  };

  readonly onJustificationStream = (stream: Stream, connection: Connection): Promise<void> => {
    const protocol = this.protocols.justifications;
    return this.serve(stream, connection, protocol, this.opts.limits.justificationRequestBytes, async (req, peer) => {
      const request = decodeJustificationRequest(protocol, req);
      return this.answerWith(protocol, peer, async () => {
        const justification = await this.modules.handlers.onJustificationRequest(request, peer);
        if (justification !== undefined && justification.length > this.opts.limits.justificationResponseBytes - 64) {
          throw new Error("justification above the response limit");
        }
        return justification ?? null;
      });
    });
  };

  readonly onCatchUpStream = (stream: Stream, connection: Connection): Promise<void> => {
    const protocol = this.protocols.catchUp;
    return this.serve(stream, connection, protocol, this.opts.limits.catchUpRequestBytes, async (req, peer) => {
      const request = decodeCatchUpRequest(protocol, req);
      return this.answerWith(protocol, peer, async () => {
        const handler = this.modules.handlers.onCatchUpRequest;
        const answer = handler ? await handler(request, peer) : undefined;
        if (answer !== undefined && answer.length > this.opts.limits.catchUpResponseBytes - 64) {
          throw new Error("catch-up above the response limit");
        }
        return answer ?? null;
      });
    });
  };

  private async serve(
    stream: Stream,
    connection: Connection,
    protocol: string,
    maxRequestBytes: number,
    answer: (request: Uint8Array, peer: string) => Promise<Uint8Array>,
  ): Promise<void> {
    const peer = connection.remotePeer.toString();
    const inflight = this.inflight.get(peer) ?? 0;
    if (inflight >= this.opts.maxInboundRequestsPerPeer) {
      this.host.reportPeer(peer, { kind: "tooManyRequests", reason: protocol });
      stream.abort(new Error("too many requests"));
      return;
    }
    this.inflight.set(peer, inflight + 1);
    try {
      await serveRequest(stream, peer, protocol, { maxRequestBytes, timeoutMs: this.opts.requestTimeoutMs }, (req) =>
        answer(req, peer),
      );
    } catch (err) {
      this.log.debug("Inbound request failed", { peerId: peer, protocol, error: describeError(err) });
      if (err instanceof P2pError && err.type.code === "P2P_ERROR_OVERSIZED") {
        this.host.reportPeer(peer, { kind: "oversized", reason: `${protocol} request` });
      } else if (err instanceof P2pError && err.type.code === "P2P_ERROR_INVALID_MESSAGE") {
        this.host.reportPeer(peer, { kind: "invalidMessage", reason: err.type.reason });
      }
    } finally {
      const n = (this.inflight.get(peer) ?? 1) - 1;
      if (n <= 0) this.inflight.delete(peer);
      else this.inflight.set(peer, n);
    }
  }

  /** Runs a chain handler; its failure becomes an error envelope, not a broken stream. */
  private async answerWith(protocol: string, peer: string, fn: () => Promise<unknown>): Promise<Uint8Array> {
    try {
      return encodeOk(await fn());
    } catch (err) {
      this.log.debug("Request handler failed", { protocol, peerId: peer, error: describeError(err) });
      return encodeErrorResponse(err instanceof Error ? err.message : "handler failed");
    }
  }

  /** Keeps only the requested parts, and as many leading blocks as fit the response limit. */
  private trimBlocks(blocks: BlockData[], fields: BlockFields): Array<Record<string, Uint8Array>> {
    const limit = this.opts.limits.blocksResponseBytes;
    const out: Array<Record<string, Uint8Array>> = [];
    let size = 16;
    for (const b of blocks) {
      const wire = blockToWire({
        hash: b.hash,
        header: fields.header ? b.header : undefined,
        body: fields.body ? b.body : undefined,
        justification: fields.justification ? b.justification : undefined,
      });
      let blockSize = 8;
      for (const part of Object.values(wire)) blockSize += part.length + WIRE_OVERHEAD_PER_PART;
      if (size + blockSize > limit) {
        this.log.debug("Block response trimmed to its size limit", { blocks: out.length, of: blocks.length });
        break;
      }
      out.push(wire);
      size += blockSize;
    }
    return out;
  }
}
