import type { Logger } from "../../../primitives/logger.js";
import type { RpcServerOptions } from "./options.js";

/** What every part of the server shares: its options (defaults filled in) and its logger. */
export interface RpcServerContext {
  readonly opts: RpcServerOptions;
  readonly log: Logger;
  /** `log.isEnabled("debug")`, read once: per-call debug records are only built when it is true. */
  readonly debug: boolean;
}
