/**
 * One HTTP load run in its own process (so the load generator does not share the server's event loop):
 * `node -r ts-node/register/transpile-only load-child.ts <spec.json>`. Runs autocannon against
 * 127.0.0.1 — a warm-up, then the measured run — feeding every request the next entry of a pool of
 * requests (path and headers: each signed request of the pool is sent once), and prints one JSON line:
 * requests per second (2xx only), latency percentiles, and everything that was not a 2xx.
 */
import * as fs from "node:fs";

/** What the parent asks for. */
export interface LoadSpec {
  /** `http://127.0.0.1:<port>`: nothing else is ever loaded. */
  readonly url: string;
  readonly connections: number;
  readonly warmupSeconds: number;
  readonly seconds: number;
  /** The requests, sent in order, each once; `cycle` allows sending them again (the raw baseline checks no nonce). */
  readonly pool: readonly { readonly path: string; readonly headers: Readonly<Record<string, string>> }[];
  readonly cycle: boolean;
}

/** What the child prints. */
export interface LoadResult {
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly meanMs: number;
  readonly ok: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly seconds: number;
  /** Requests taken from the pool, warm-up included. */
  readonly used: number;
  /** The pool ran out (the requests after it were sent again, so a gateway refuses them). */
  readonly exhausted: boolean;
}

interface AutocannonResult {
  latency: { p50: number; p99: number; mean: number };
  "2xx": number;
  non2xx: number;
  errors: number;
  timeouts: number;
  duration: number;
}
type Autocannon = (opts: Record<string, unknown>, cb: (err: Error | null, result: AutocannonResult) => void) => unknown;

async function main(): Promise<void> {
  const spec = JSON.parse(fs.readFileSync(process.argv[2], "utf8")) as LoadSpec;
  const host = new URL(spec.url).hostname;
  if (host !== "127.0.0.1") throw new Error(`load only against 127.0.0.1, not ${host}`);
  const autocannon = require("autocannon") as Autocannon;
  let next = 0;
  let exhausted = false;
  const take = () => {
    if (next >= spec.pool.length) {
      if (!spec.cycle) exhausted = true;
      next = 0;
    }
    return spec.pool[next++];
  };
  let used = 0;
  const run = (seconds: number) =>
    new Promise<AutocannonResult>((resolve, reject) => {
      autocannon(
        {
          url: spec.url,
          connections: spec.connections,
          duration: seconds,
          timeout: 30,
          requests: [
            {
              method: "GET",
              setupRequest: (req: Record<string, unknown>) => {
                const r = take();
                used++;
                return { ...req, path: r.path, headers: { ...r.headers, accept: "application/fhir+json" } };
              },
            },
          ],
        },
        (err, result) => (err ? reject(err) : resolve(result)),
      );
    });
  if (spec.warmupSeconds > 0) await run(spec.warmupSeconds);
  const r = await run(spec.seconds);
  const out: LoadResult = {
    rps: r["2xx"] / r.duration,
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    meanMs: r.latency.mean,
    ok: r["2xx"],
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    seconds: r.duration,
    used,
    exhausted,
  };
  console.log(JSON.stringify(out));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
