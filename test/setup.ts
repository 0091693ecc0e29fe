/**
 * Jest `setupFiles`: loads the runtime before each test file, as the node and the CLI do at startup.
 * Nothing is built here: the first use builds the default runtime (without Sudo), and a test file whose
 * first `TestRuntime` has a sudo key gets the dev runtime (with Sudo) instead (see `runtime/construct.ts`).
 */
import "../runtime/index.js";
