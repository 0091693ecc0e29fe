/**
 * A deterministic random stream: blake2-256 in counter mode over a seed. Used wherever the engine needs
 * randomness that others must reproduce exactly (batch order, initial weights, synthetic data).
 * Call `cryptoReady()` from primitives/hashing before the first use.
 */
import { blake2_256, concat } from "../../primitives/hashing.js";

export class Blake2Stream {
  private block: Uint32Array = new Uint32Array(0);
  private pos = 0;
  private counter = 0;

  /** seed ‖ u64 LE counter, rewritten in place for each block. */
  private readonly input: Uint8Array;
  private readonly counterView: DataView;

  constructor(seed: Uint8Array) {
    this.input = new Uint8Array(seed.length + 8);
    this.input.set(seed);
    this.counterView = new DataView(this.input.buffer, seed.length, 8);
  }

  /** Builds a stream from labelled parts, each length-prefixed so that ("ab","c") != ("a","bc"). */
  static from(label: string, ...parts: (Uint8Array | number | bigint | string)[]): Blake2Stream {
    const enc = (p: Uint8Array | number | bigint | string): Uint8Array => {
      if (p instanceof Uint8Array) return p;
      if (typeof p === "string") return new TextEncoder().encode(p);
      const b = new Uint8Array(8);
      new DataView(b.buffer).setBigUint64(0, BigInt(p), true);
      return b;
    };
    const pieces = [label, ...parts].map(enc);
    const framed = pieces.flatMap((p) => {
      const len = new Uint8Array(4);
      new DataView(len.buffer).setUint32(0, p.length, true);
      return [len, p];
    });
    return new Blake2Stream(blake2_256(concat(...framed)));
  }

  nextU32(): number {
    if (this.pos >= this.block.length) {
      this.counterView.setUint32(0, this.counter % 0x1_0000_0000, true);
      this.counterView.setUint32(4, Math.floor(this.counter / 0x1_0000_0000), true);
      this.counter++;
      const h = blake2_256(this.input);
      this.block = new Uint32Array(h.buffer, h.byteOffset, 8);
      this.pos = 0;
    }
    return this.block[this.pos++];
  }

  /** Uniform integer in [0, n), by rejection so that no value is favoured. */
  nextInt(n: number): number {
    if (n <= 0 || n > 0x1_0000_0000) throw new RangeError(`nextInt: bad bound ${n}`);
    const limit = Math.floor(0x1_0000_0000 / n) * n;
    for (;;) {
      const x = this.nextU32();
      if (x < limit) return x % n;
    }
  }

  /** Uniform float in [0, 1) with 32 bits of randomness (exact in float32 and float64 arithmetic). */
  nextFloat(): number {
    return this.nextU32() / 0x1_0000_0000;
  }

  /** A standard normal draw (Box–Muller on two uniforms; Math.log/cos are fdlibm ports in V8). */
  nextGaussian(): number {
    const u = 1 - this.nextFloat();
    const v = this.nextFloat();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Fisher–Yates permutation of 0..n-1. */
  permutation(n: number): Uint32Array {
    const p = new Uint32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.nextInt(i + 1);
      const t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }
}
