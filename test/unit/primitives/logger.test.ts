/**
 * Log lines never carry characters a terminal acts on (escape sequences, 8-bit CSI, bidi overrides) or
 * that forge lines (newlines, line separators), whatever the message, keys or values hold, in the text
 * and JSON formats; JSON lines still parse back to the original strings.
 */
import { describe, expect, it } from "@jest/globals";
import { createLogger } from "../../../primitives/logger.js";

function capture(format: "human" | "json") {
  const lines: string[] = [];
  const log = createLogger({ level: "trace", format, write: (l) => void lines.push(l) }).child({ module: "net" });
  return { lines, log };
}

/** Every character a line must not contain raw. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: looking for control characters is the point.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

const EVIL = "\u001b[2J\u001b]0;pwned\u0007red\u009b31m\r\nFAKE  INFO line\u2028\u202eevil\u0000end\u007f";

describe("logger escapes control characters", () => {
  it("text format: message, keys, string values, objects and errors", () => {
    const { lines, log } = capture("human");
    log.info(`Peer said ${EVIL}`, { agent: EVIL, [`k${EVIL}`]: 1, list: [EVIL], plain: "abc" });
    log.warn("Bad message", { peer: "12D3Koo" }, new Error(EVIL));
    expect(lines).toHaveLength(2);
    for (const line of lines) expect(line).not.toMatch(UNSAFE);
    const [first, second] = lines;
    // The message: short forms for CR/LF, \uXXXX for the rest.
    expect(first).toContain(
      "Peer said \\u001b[2J\\u001b]0;pwned\\u0007red\\u009b31m\\r\\nFAKE  INFO line\\u2028\\u202eevil\\u0000end\\u007f",
    );
    // A string value with anything unsafe is a quoted JSON string, further escaped.
    expect(first).toContain(
      'agent="\\u001b[2J\\u001b]0;pwned\\u0007red\\u009b31m\\r\\nFAKE  INFO line\\u2028\\u202eevil\\u0000end\\u007f"',
    );
    expect(first).toContain('list=["\\u001b[2J');
    expect(first).toContain(" plain=abc");
    expect(first).toContain("k\\u001b[2J");
    expect(second).toContain('peer=12D3Koo error="\\u001b[2J');
  });

  it("text format quotes values that could be mistaken for other fields", () => {
    const { lines, log } = capture("human");
    log.info("Fields", { a: "x y=1", b: "", c: 'say "hi"', d: "back\\slash", e: 7n, f: Uint8Array.of(1, 2) });
    expect(lines[0]).toMatch(/ a="x y=1" b="" c="say \\"hi\\"" d="back\\\\slash" e=7 f=0x0102$/);
  });

  it("json format: one valid JSON line that parses back to the original strings", () => {
    const { lines, log } = capture("json");
    log.info(`Peer said ${EVIL}`, { agent: EVIL, [`k${EVIL}`]: EVIL, nested: { v: [EVIL] }, big: 2n ** 70n });
    log.error("Failed", {}, new Error(EVIL));
    for (const line of lines) expect(line).not.toMatch(UNSAFE);
    const first = JSON.parse(lines[0]);
    expect(first).toMatchObject({ level: "info", module: "net", msg: `Peer said ${EVIL}`, agent: EVIL });
    expect(first[`k${EVIL}`]).toBe(EVIL);
    expect(first.nested.v[0]).toBe(EVIL);
    expect(first.big).toBe((2n ** 70n).toString());
    expect(JSON.parse(lines[1]).error).toBe(EVIL);
  });

  it("leaves ordinary text, including non-ASCII, as it is", () => {
    const { lines, log } = capture("human");
    log.info("Imported block", { number: 3, hash: "0xabc", name: "nœud-été-東京" });
    expect(lines[0]).toMatch(/ INFO net: Imported block number=3 hash=0xabc name=nœud-été-東京$/);
  });
});
