/** The error `promise` rejects with; throws when it resolves instead (a refusal the test expected). */
export async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error("resolved, though it should have been refused");
}
