/** Runs Hardhat tasks in-process and collects what they print. */
import hre from "hardhat";

/** Runs a task and returns the JSON lines it printed. */
export async function run(task: string, args: Record<string, unknown>): Promise<Record<string, unknown>[]> {
  const lines: string[] = [];
  const original = console.log;
  console.log = (line: string) => lines.push(line);
  try {
    await hre.run(task, args);
  } finally {
    console.log = original;
  }
  return lines.map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** The message a promise rejects with. */
export async function failure(p: Promise<unknown>): Promise<string> {
  return p.then(
    () => "(no failure)",
    (e: Error) => e.message,
  );
}

