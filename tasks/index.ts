// Hardhat tasks: the operator CLI. Each file registers its tasks; the SDK is loaded lazily inside
// each action, because typechain-types only exists after the first compile.
import "./governance";
import "./participants";
import "./records";
import "./claims";
import "./consent";
import "./deploy";
