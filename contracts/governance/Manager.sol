// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

// The suite is governed by OpenZeppelin's audited AccessManager, deployed as is. This import only
// makes Hardhat compile it, so that Ignition and typechain have its artifact.
// solhint-disable-next-line no-unused-import
import {AccessManager} from "@openzeppelin/contracts/access/manager/AccessManager.sol";
