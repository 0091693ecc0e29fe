/** `tensorchain` node flags parsed in process: the transaction pool's flags, their defaults and their errors. */
import { describe, expect, it } from "@jest/globals";
import { parseRunFlags } from "../../../cli/commands/run.js";
import { defaultTxPoolOptions, txPoolOptionsFromCli } from "../../../node/txpool/index.js";

/** The message commander gives for a refused flag value. */
function flagError(argv: string[]): string {
  try {
    parseRunFlags(argv);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error(`expected ${argv.join(" ")} to be refused`);
}

describe("transaction pool flags", () => {
  it("default to Substrate's --pool-limit 8192, --pool-kbytes 20480, --tx-ban-seconds 1800", () => {
    const flags = parseRunFlags(["--dev"]);
    expect(flags).toMatchObject({ poolLimit: 8192, poolKbytes: 20480, txBanSeconds: 1800 });
    const opts = txPoolOptionsFromCli(flags);
    expect(opts.maxTxBytes).toBe(defaultTxPoolOptions.maxTxBytes);
    expect(opts.ready).toEqual({ count: 8192, totalBytes: 20480 * 1024 });
    expect(opts.future).toEqual({ count: 819, totalBytes: 2048 * 1024 });
    expect(opts.banTimeMs).toBe(1_800_000);
  });

  it("set the ready queue, a tenth of it for the future queue, and the ban time", () => {
    const flags = parseRunFlags(["--pool-limit", "100", "--pool-kbytes", "50", "--tx-ban-seconds", "0"]);
    expect(txPoolOptionsFromCli(flags)).toMatchObject({
      ready: { count: 100, totalBytes: 51_200 },
      future: { count: 10, totalBytes: 5120 },
      banTimeMs: 0,
    });
  });

  it("refuse values that are not integers in range, naming the flag", () => {
    expect(flagError(["--pool-limit", "0"])).toMatch(
      /--pool-limit <count>.*'0' is invalid.*must be a positive integer/,
    );
    expect(flagError(["--pool-limit", "12.5"])).toMatch(/--pool-limit.*must be a positive integer/);
    expect(flagError(["--pool-limit", "lots"])).toMatch(/--pool-limit.*must be a positive integer/);
    expect(flagError(["--pool-kbytes", "-1"])).toMatch(/--pool-kbytes.*must be a positive integer/);
    expect(flagError(["--pool-kbytes", ""])).toMatch(/--pool-kbytes.*must be a positive integer/);
    expect(flagError(["--pool-kbytes", "9007199254740991"])).toMatch(/--pool-kbytes.*must be at most 8796093022207/);
    expect(flagError(["--tx-ban-seconds", "-5"])).toMatch(/--tx-ban-seconds.*must be a non-negative integer/);
    expect(flagError(["--tx-ban-seconds", "1e300"])).toMatch(/--tx-ban-seconds.*must be at most/);
  });

  it("txPoolOptionsFromCli refuses bad values given programmatically, naming the flag", () => {
    expect(() => txPoolOptionsFromCli({ poolLimit: 0 })).toThrow("--pool-limit must be a positive integer, got 0");
    expect(() => txPoolOptionsFromCli({ txBanSeconds: Number.NaN })).toThrow(
      "--tx-ban-seconds must be a non-negative integer, got NaN",
    );
    expect(txPoolOptionsFromCli({ poolLimit: undefined }).ready.count).toBe(8192);
  });
});
