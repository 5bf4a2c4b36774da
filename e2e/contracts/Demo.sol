// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// A small ERC-20-like token: events, a custom error, storage writes.
contract Token {
    string public name = "Demo";
    uint256 public totalSupply;
    mapping(address => uint256) public balanceOf;
    mapping(address => mapping(address => uint256)) public allowance;

    event Transfer(address indexed from, address indexed to, uint256 value);

    error InsufficientBalance(address who, uint256 have, uint256 want);

    constructor(uint256 supply) {
        balanceOf[msg.sender] = supply;
        totalSupply = supply;
        emit Transfer(address(0), msg.sender, supply);
    }

    function approve(address spender, uint256 amount) external returns (bool) {
        allowance[msg.sender][spender] = amount;
        return true;
    }

    function transfer(address to, uint256 amount) external returns (bool) {
        uint256 have = balanceOf[msg.sender];
        if (have < amount) revert InsufficientBalance(msg.sender, have, amount);
        balanceOf[msg.sender] = have - amount;
        balanceOf[to] += amount;
        emit Transfer(msg.sender, to, amount);
        return true;
    }
}

/// Calls, reverts, panics, loops and nested calls for the client and tracer scenarios.
contract Demo {
    uint256 public count;
    address public lastCaller;

    event Counted(address indexed who, uint256 count);

    function inc() external {
        count += 1;
        lastCaller = msg.sender;
        emit Counted(msg.sender, count);
    }

    function fail(string calldata why) external pure {
        revert(why);
    }

    function divide(uint256 a, uint256 b) external pure returns (uint256) {
        return a / b;
    }

    function spin() external pure {
        while (true) {}
    }

    function stamp() external view returns (uint256, uint256) {
        return (block.number, block.timestamp);
    }

    function relay(address target, bytes calldata data) external payable returns (bytes memory) {
        (bool ok, bytes memory out) = target.call{value: msg.value}(data);
        if (!ok) {
            assembly {
                revert(add(out, 32), mload(out))
            }
        }
        return out;
    }
}
