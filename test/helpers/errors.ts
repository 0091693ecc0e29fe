/** Tests of typed errors (`TensorchainError` subclasses, each with a `code`). */

/**
 * The `code` of the `errorClass` error that `fn` throws; undefined when `fn` returns. Any other error is
 * rethrown, so a test sees an unexpected failure as itself.
 */
export function thrownCode<E extends Error & { code: string }>(
  fn: () => unknown,
  errorClass: abstract new (...args: never[]) => E,
): E["code"] | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof errorClass) return err.code;
    throw err;
  }
  return undefined;
}
