/**
 * The offence reporter: equivocations the node detects (BABE: a second header for a slot and author,
 * seen while verifying imported headers; GRANDPA: a second vote in a round and phase, from the voter)
 * become unsigned `Offences.report_equivocation` extrinsics submitted to the local pool (source
 * `local`), once per offence. Every node that sees an offence may report it: the runtime's pool
 * validation (one tag per offender and time slot) and its on-chain records keep one report.
 */
import type { EquivocationEvidenceValue } from "../../consensus/equivocation.js";
import { toHex } from "../../primitives/hex.js";
import type { Logger } from "../../primitives/logger.js";
import { type CallValue, encodeUnsignedExtrinsic, RuntimeCall } from "../../runtime/index.js";
import type { TransactionSource } from "../../runtime/validity.js";

export interface OffenceReporterOptions {
  /** How many offences are remembered as reported (the oldest are forgotten first). */
  maxRemembered: number;
}

export const defaultOffenceReporterOptions: OffenceReporterOptions = { maxRemembered: 1024 };

export interface OffenceReporterModules {
  pool: { submit(source: TransactionSource, tx: Uint8Array): Promise<string> };
  logger: Logger;
}

/** The unsigned extrinsic `Offences.report_equivocation(equivocation_proof)`. */
export function equivocationReportExtrinsic(evidence: EquivocationEvidenceValue): Uint8Array {
  const call: CallValue = {
    tag: "Offences",
    value: { tag: "report_equivocation", value: { equivocation_proof: evidence } },
  };
  return encodeUnsignedExtrinsic(RuntimeCall.enc(call));
}

/** What identifies an offence in logs and for "once per offence": the offender and the time slot. */
export function describeEquivocation(evidence: EquivocationEvidenceValue): Record<string, string> {
  if (evidence.tag === "Babe")
    return { kind: "babe", offender: toHex(evidence.value.offender), slot: evidence.value.slot.toString() };
  const { set_id, equivocation } = evidence.value;
  return {
    kind: "grandpa",
    offender: toHex(equivocation.value.identity),
    setId: set_id.toString(),
    round: equivocation.value.round_number.toString(),
    phase: equivocation.tag,
  };
}

export class OffenceReporter {
  private readonly reported = new Set<string>();

  constructor(
    private readonly opts: OffenceReporterOptions,
    private readonly modules: OffenceReporterModules,
  ) {}

  /** Submits a report for the evidence unless this offence was already reported; never throws. */
  async report(evidence: EquivocationEvidenceValue): Promise<void> {
    const { logger, pool } = this.modules;
    const offence = describeEquivocation(evidence);
    const key = Object.values(offence).join(":");
    if (this.reported.has(key)) return;
    this.remember(key);
    try {
      const hash = await pool.submit("local", equivocationReportExtrinsic(evidence));
      logger.warn("Equivocation reported", { ...offence, tx: hash });
    } catch (err) {
      const code = (err as { type?: { code?: string; reason?: string } }).type;
      logger.debug("Equivocation report not submitted", {
        ...offence,
        error: code?.code ?? (err as Error).message,
        reason: code?.reason,
      });
    }
  }

  private remember(key: string): void {
    this.reported.add(key);
    if (this.reported.size > this.opts.maxRemembered) {
      const oldest = this.reported.values().next().value;
      if (oldest !== undefined) this.reported.delete(oldest);
    }
  }
}
