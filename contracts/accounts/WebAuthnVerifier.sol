// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {ERC7913WebAuthnVerifier} from "@openzeppelin/contracts/utils/cryptography/verifiers/ERC7913WebAuthnVerifier.sol";

/// @title WebAuthnVerifier
/// @notice OpenZeppelin's ERC-7913 verifier of WebAuthn assertions (P-256, user presence and user
/// verification required), compiled with the suite so that the deployment can name it. Stateless;
/// one per chain serves every passkey account.
// solhint-disable-next-line no-empty-blocks
contract WebAuthnVerifier is ERC7913WebAuthnVerifier {}
