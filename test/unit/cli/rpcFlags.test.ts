/** The `--rpc-*` flags and the RPC server options they make. */
import { describe, expect, it } from "@jest/globals";
import { parseRunFlags, rpcOptionsFromFlags } from "../../../cli/commands/run.js";

const MiB = 1024 * 1024;

describe("--rpc-* flags", () => {
  it("default to Substrate's limits and no rate limit", () => {
    expect(rpcOptionsFromFlags(parseRunFlags(["--dev"]))).toEqual({
      enabled: true,
      host: "127.0.0.1",
      port: 9944,
      methods: "auto",
      maxConnections: 100,
      maxRequestBytes: 15 * MiB,
      maxResponseBytes: 15 * MiB,
      maxBufferedBytesPerConnection: 15 * MiB,
      rateLimitPerMinute: 0,
      maxSubscriptionsPerConnection: 1024,
    });
  });

  it("set the rate limit, the response size and with it the send-buffer cap", () => {
    const opts = rpcOptionsFromFlags(
      parseRunFlags(["--rpc-rate-limit", "120", "--rpc-max-response-size", "4", "--rpc-max-request-size", "2"]),
    );
    expect(opts).toMatchObject({
      rateLimitPerMinute: 120,
      maxResponseBytes: 4 * MiB,
      maxBufferedBytesPerConnection: 4 * MiB,
      maxRequestBytes: 2 * MiB,
    });
  });

  it("refuse a rate limit that is not a positive integer", () => {
    expect(() => parseRunFlags(["--rpc-rate-limit", "0"])).toThrow(/positive integer/);
    expect(() => parseRunFlags(["--rpc-rate-limit", "1.5"])).toThrow(/positive integer/);
    expect(() => parseRunFlags(["--rpc-max-response-size", "x"])).toThrow(/positive integer/);
  });
});
