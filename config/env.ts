/**
 * The one way CareLedger reads its environment (`.env` and the shell): a variable's value trimmed,
 * and a value left empty — as `.env.example` leaves every optional one, and `cp .env.example .env`
 * keeps them — counts as unset, so its default applies.
 */

/** The value of environment variable `name`, trimmed; `undefined` when it is unset, empty or only spaces. */
export function envVar(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const raw = env[name]?.trim();
  return raw ? raw : undefined;
}

/**
 * The whole-number value of environment variable `name`, from `min` to `max`; `fallback` when unset.
 * @throws {Error} naming the variable and the range
 */
export function envInteger(name: string, fallback: number, min: number, max: number, env: NodeJS.ProcessEnv = process.env): number {
  const raw = envVar(name, env);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new Error(`${name}=${raw} is not a whole number from ${min} to ${max}`);
  return n;
}

/**
 * Runs a service's `main` (`npm run gateway`, `npm run indexer`): `stop` is called once, on the first
 * SIGTERM or SIGINT; a failure prints one line, `<name>: <message>`, never a stack trace, and exits 1.
 */
export function runService(name: string, main: (onStop: (stop: (signal: string) => Promise<void>) => void) => Promise<void>): void {
  const onStop = (stop: (signal: string) => Promise<void>) => {
    let stopping = false;
    const once = (signal: string) => {
      if (stopping) return;
      stopping = true;
      stop(signal).then(
        () => process.exit(0),
        (err: unknown) => {
          console.error(`${name}: stopping failed: ${(err as Error).message ?? String(err)}`);
          process.exit(1);
        },
      );
    };
    process.on("SIGTERM", () => once("SIGTERM"));
    process.on("SIGINT", () => once("SIGINT"));
  };
  main(onStop).catch((err: unknown) => {
    console.error(`${name}: ${(err as Error).message ?? String(err)}`);
    process.exit(1);
  });
}
