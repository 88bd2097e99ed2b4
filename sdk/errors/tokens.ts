/**
 * What a settlement token's standard errors mean (OpenZeppelin's IERC20Errors, ERC-6093), in
 * sentences a person can act on: a plan is funded, repaid and paid out in a token, and when the
 * token refuses a transfer it reverts with one of these, not with an error of the suite.
 */
import { arg as s, type MessageTable } from "./base";

/** The standard ERC-20 errors, by name. Amounts are in the token's units. */
export const TOKEN_MESSAGES: MessageTable = {
  ERC20InsufficientBalance: (a) =>
    `${s(a.sender)} holds ${s(a.balance)} of the token, less than the ${s(a.needed)} this transfer needs: get the account the plan's tokens first, or send a smaller amount`,
  ERC20InsufficientAllowance: (a) =>
    `${s(a.spender)} may spend ${s(a.allowance)} of the owner's tokens, less than the ${s(a.needed)} this transfer needs: the owner must approve it for the amount first (claims.fund and claims.repay approve the engine themselves)`,
  ERC20InvalidSender: (a) => `the token refuses ${s(a.sender)} as the sender of a transfer (an OpenZeppelin token refuses the zero address)`,
  ERC20InvalidReceiver: (a) => `the token refuses ${s(a.receiver)} as the receiver of a transfer (an OpenZeppelin token refuses the zero address): name another account`,
  ERC20InvalidApprover: (a) => `the token refuses an approval from ${s(a.approver)} (an OpenZeppelin token refuses the zero address)`,
  ERC20InvalidSpender: (a) => `the token refuses ${s(a.spender)} as a spender (an OpenZeppelin token refuses the zero address)`,
};
