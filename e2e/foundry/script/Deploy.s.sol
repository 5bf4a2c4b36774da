// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;
import {Counter} from "../src/Counter.sol";
interface Vm { function startBroadcast() external; function stopBroadcast() external; }
contract Deploy {
    Vm constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));
    function run() external { vm.startBroadcast(); Counter c = new Counter(); c.set(42); Counter d = new Counter{salt: bytes32(uint256(7))}(); d.set(43); vm.stopBroadcast(); }
}
