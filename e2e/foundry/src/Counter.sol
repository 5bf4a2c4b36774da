// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;
contract Counter { uint256 public number; event Set(uint256 n); function set(uint256 n) external { number = n; emit Set(n); } }
