// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;
import {Counter} from "../src/Counter.sol";
interface Vm { function envAddress(string calldata) external view returns (address); }
/// Run with `forge test --fork-url <chain>`: forge forks the chain and reads the deployed Counter's state
/// through eth_getCode, eth_getStorageAt, eth_getBalance and friends, then writes on its own copy.
contract ForkTest {
    Vm constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));
    function test_reads_and_writes_the_forked_counter() public {
        Counter c = Counter(vm.envAddress("COUNTER"));
        require(c.number() == 7, "the fork sees the chain's value");
        c.set(99);
        require(c.number() == 99, "the fork keeps its own write");
        require(address(0x70997970C51812dc3A010C7d01b50e0d17dc79C8).balance > 0, "a dev account's balance");
    }
}
