import hre from "hardhat";
import { runBench } from "./bench";
// Aggregates opcode gas of the last transactions (debug_traceTransaction), by opcode, for analysis.
async function main() {
  const orig = hre.ethers.provider.send.bind(hre.ethers.provider);
  await runBench();
  const block = await hre.ethers.provider.getBlockNumber();
  for (let b = block - 8; b <= block; b++) {
    const blk = await hre.ethers.provider.getBlock(b);
    const h = blk!.transactions[0];
    const rc = await hre.ethers.provider.getTransactionReceipt(h);
    const t = await orig("debug_traceTransaction", [h, { disableStorage: true, disableMemory: true, disableStack: false }]);
    const by: Record<string, number> = {};
    let prevDepth = 1;
    for (const l of t.structLogs) {
      by[l.op] = (by[l.op] ?? 0) + l.gasCost;
    }
    delete by.STATICCALL; delete by.CALL; delete by.DELEGATECALL;
    const top = Object.entries(by).sort((a, b) => b[1] - a[1]).slice(0, 14);
    const tx = await hre.ethers.provider.getTransaction(h);
    console.log(b, tx!.data.slice(0,10), tx!.data.length, rc!.gasUsed, JSON.stringify(top));
  }
}
main();
