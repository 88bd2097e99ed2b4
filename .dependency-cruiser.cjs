/**
 * dependency-cruiser's rules for the SDK (test/sdk/layout.test.ts runs them; so does `npx depcruise sdk`):
 * no import cycle, and the layers errors/ <- core/ <- the parts. Type-only imports and dynamic
 * `import()` count as dependencies: a cycle through either is still a cycle for whoever reads or
 * moves the code.
 * @type {import("dependency-cruiser").IConfiguration}
 */
module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment: "No import cycle in the SDK, through index files, type-only imports and dynamic imports included.",
      from: { path: "^sdk/" },
      to: { circular: true },
    },
    {
      name: "errors-at-the-bottom",
      severity: "error",
      comment:
        "errors/ is what everything else throws: it imports nothing else of the SDK but the parts' code tables (to say a class, a purpose or a status by name).",
      from: { path: "^sdk/errors/" },
      to: { path: "^sdk/", pathNot: "^sdk/(errors/|(claims/vocab|participants/vocab|consent/codes)\\.ts$)" },
    },
    {
      name: "code-tables-are-leaves",
      severity: "error",
      comment: "The parts' code tables that errors/ reads import nothing, so errors/ stays at the bottom.",
      from: { path: "^sdk/(claims/vocab|participants/vocab|consent/codes)\\.ts$" },
      to: { path: "^sdk/" },
    },
    {
      name: "core-below-the-parts",
      severity: "error",
      comment: "core/ is what every part's client is built on: it imports errors/ and itself, never a part.",
      from: { path: "^sdk/core/" },
      to: { path: "^sdk/", pathNot: "^sdk/(core|errors)/" },
    },
  ],
  options: {
    includeOnly: "^sdk/",
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
  },
};
