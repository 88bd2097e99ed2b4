/**
 * The runnable code of the docs: in a docs/*.md page, the blocks fenced as ```ts runnable, in page
 * order. test/docs/snippets.test.ts runs them in-process against the SDK's sources; the package test
 * (test/package/package.test.ts) runs a page as an integrator's own program, against the installed
 * package and a node.
 */
import ts from "typescript";

/** The runnable blocks of a page, in order. */
export function runnableBlocks(markdown: string): string[] {
  const blocks: string[] = [];
  const fence = /^```ts runnable\s*\n([\s\S]*?)^```\s*$/gm;
  for (let m = fence.exec(markdown); m; m = fence.exec(markdown)) blocks.push(m[1]);
  return blocks;
}

/**
 * A page's blocks joined as one program, split into its import declarations (in page order) and the
 * statements around them (with their comments): a CommonJS program has to run the statements inside a
 * function, and imports cannot go there.
 */
export function splitImports(blocks: readonly string[]): { imports: string[]; body: string } {
  const source = ts.createSourceFile("page.ts", blocks.join("\n"), ts.ScriptTarget.ES2022, true);
  const imports: string[] = [];
  let body = "";
  for (const statement of source.statements) {
    if (ts.isImportDeclaration(statement)) imports.push(statement.getText(source));
    else body += statement.getFullText(source);
  }
  body += source.endOfFileToken.getFullText(source); // the last block's trailing comment
  return { imports, body: body.replace(/^\n+/, "") };
}
