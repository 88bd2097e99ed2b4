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
