/**
 * Group commit: what concurrent requests each need from the database or the chain — spending a nonce,
 * writing a response's receipts, reading the latest block — asked once for all of them. Each caller
 * waits for the one statement or read that covers it, and gets its own answer or its own error, so
 * nothing is promised before it is durable and no answer is older than the request that asked.
 *
 * Requests are gathered while the previous round is under way (at most `inFlight` rounds at once):
 * under no load a request goes alone and waits for nothing; under load a round covers everything that
 * arrived while the last one ran, so the database sees one statement where it would have seen fifty.
 * With `timeoutMs`, a round that has not answered by then fails its callers and frees its place, so one
 * lost answer (a chain node that never replies) stalls only the requests of its own round.
 */

/** One caller's place in a round. */
interface Waiter<I, O> {
  readonly input: I;
  readonly resolve: (output: O) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Runs `round` over the inputs gathered since the last round began: `round(inputs)` answers each input
 * in order (an `Error` in its place fails that caller alone); a round that throws fails all its callers.
 */
export class Batcher<I, O> {
  readonly #round: (inputs: readonly I[]) => Promise<readonly (O | Error)[]>;
  readonly #maxBatch: number;
  readonly #maxInFlight: number;
  readonly #timeoutMs: number | undefined;
  #queue: Waiter<I, O>[] = [];
  #inFlight = 0;
  #scheduled = false;

  constructor(round: (inputs: readonly I[]) => Promise<readonly (O | Error)[]>, options: { maxBatch?: number; inFlight?: number; timeoutMs?: number } = {}) {
    this.#round = round;
    this.#maxBatch = options.maxBatch ?? 1_000;
    this.#maxInFlight = options.inFlight ?? 1;
    this.#timeoutMs = options.timeoutMs;
  }

  /** Queues `input` for the next round and resolves with its answer. */
  submit(input: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.#queue.push({ input, resolve, reject });
      this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#scheduled || this.#queue.length === 0 || this.#inFlight >= this.#maxInFlight) return;
    this.#scheduled = true;
    // Let the requests already parsed in this turn of the event loop join the round.
    setImmediate(() => {
      this.#scheduled = false;
      this.#flush();
    });
  }

  #flush(): void {
    while (this.#queue.length > 0 && this.#inFlight < this.#maxInFlight) {
      const batch = this.#queue.splice(0, this.#maxBatch);
      this.#inFlight++;
      void this.#run(batch).finally(() => {
        this.#inFlight--;
        this.#schedule();
      });
    }
  }

  async #run(batch: readonly Waiter<I, O>[]): Promise<void> {
    let outputs: readonly (O | Error)[];
    try {
      outputs = await withTimeout(this.#round(batch.map((w) => w.input)), this.#timeoutMs);
      if (outputs.length !== batch.length) throw new Error(`a round answered ${outputs.length} of ${batch.length} inputs`);
    } catch (err) {
      for (const w of batch) w.reject(err);
      return;
    }
    batch.forEach((w, i) => {
      const out = outputs[i];
      if (out instanceof Error) w.reject(out);
      else w.resolve(out);
    });
  }
}

/** A round or a read that did not answer in time. */
export class TimeoutError extends Error {
  constructor(ms: number) {
    super(`no answer within ${ms} ms`);
    this.name = "TimeoutError";
  }
}

/** `promise`, or a {@link TimeoutError} once `ms` have passed (never, without `ms`). */
export function withTimeout<T>(promise: Promise<T>, ms: number | undefined): Promise<T> {
  if (ms === undefined) return promise;
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(ms)), ms);
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}
