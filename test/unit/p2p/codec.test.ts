import { describe, expect, it } from "@jest/globals";
import { Packr } from "msgpackr";
import {
  blockToWire,
  decodeBlocksRequest,
  decodeBlocksResponse,
  decodeJustificationResponse,
  decodeStatus,
  decodeStatusResponse,
  encodeBlocksRequest,
  encodeErrorResponse,
  encodeOk,
  encodeStatus,
  encodeStatusResponse,
  RemoteErrorResponse,
} from "../../../p2p/codec.js";
import { P2pError } from "../../../p2p/errors.js";
import type { ChainStatus } from "../../../p2p/interface.js";
import { thrownCode } from "../../helpers/errors.js";

const P = "/test/1";
const packr = new Packr({ useRecords: false, mapsAsObjects: true });
const h = (n: number) => new Uint8Array(32).fill(n);

const status: ChainStatus = {
  genesisHash: h(1),
  best: { number: 100, hash: h(2) },
  finalized: { number: 98, hash: h(3) },
  roles: ["full", "authority"],
};

function expectInvalid(fn: () => unknown): void {
  expect(thrownCode(fn, P2pError)).toBe("P2P_ERROR_INVALID_MESSAGE");
}

describe("p2p codec", () => {
  it("round-trips the status, as a request and inside a response envelope", () => {
    expect(decodeStatus(P, encodeStatus(status))).toEqual(status);
    expect(decodeStatusResponse(P, encodeStatusResponse(status))).toEqual(status);
  });

  it("round-trips block requests from a number or a hash, with a field mask", () => {
    const byNumber = {
      from: 7,
      direction: "descending" as const,
      max: 3,
      fields: { header: true, body: false, justification: true },
    };
    expect(decodeBlocksRequest(P, encodeBlocksRequest(byNumber))).toEqual(byNumber);
    const byHash = {
      from: h(9),
      direction: "ascending" as const,
      max: 128,
      fields: { header: true, body: true, justification: false },
    };
    expect(decodeBlocksRequest(P, encodeBlocksRequest(byHash))).toEqual(byHash);
  });

  it("round-trips block responses, leaving absent parts absent", () => {
    const blocks = [{ hash: h(1), header: h(2), body: new Uint8Array([1, 2, 3]) }, { hash: h(3) }];
    expect(decodeBlocksResponse(P, encodeOk(blocks.map(blockToWire)))).toEqual(blocks);
  });

  it("turns an error envelope into RemoteErrorResponse", () => {
    expect(() => decodeBlocksResponse(P, encodeErrorResponse("no such block"))).toThrow(RemoteErrorResponse);
    expect(decodeJustificationResponse(P, encodeOk(null))).toBeUndefined();
    expect(decodeJustificationResponse(P, encodeOk(h(4)))).toEqual(h(4));
  });

  it("refuses malformed frames with P2P_ERROR_INVALID_MESSAGE", () => {
    expectInvalid(() => decodeStatus(P, new Uint8Array([0xc1])));
    expectInvalid(() => decodeStatus(P, packr.pack([1, 2, 3])));
    expectInvalid(() => decodeStatus(P, packr.pack({ ...status, roles: "full" })));
    expectInvalid(() => decodeStatus(P, packr.pack({ ...status, best: { number: -1, hash: h(1) } })));
    expectInvalid(() => decodeStatus(P, packr.pack({ ...status, genesisHash: new Uint8Array(65) })));
    expectInvalid(() => decodeBlocksRequest(P, packr.pack({ from: "x", direction: 0, max: 1, fields: 7 })));
    expectInvalid(() => decodeBlocksRequest(P, packr.pack({ from: 1, direction: 2, max: 1, fields: 7 })));
    expectInvalid(() => decodeBlocksRequest(P, packr.pack({ from: 1, direction: 0, max: 0, fields: 7 })));
    expectInvalid(() => decodeBlocksRequest(P, packr.pack({ from: 1, direction: 0, max: 1, fields: 8 })));
    expectInvalid(() => decodeBlocksResponse(P, packr.pack({ ok: [{ hash: "nope" }] })));
    expectInvalid(() => decodeBlocksResponse(P, packr.pack({ ok: { hash: h(1) } })));
    expectInvalid(() => decodeBlocksResponse(P, packr.pack({ neither: 1 })));
  });
});
