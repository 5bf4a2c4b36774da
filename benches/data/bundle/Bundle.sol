// SPDX-License-Identifier: MIT OR Apache-2.0
// parevm's benchmark of an ERC-4337-style bundle (issue 16): one transaction runs many user operations.
// Written for parevm-benches; the shape follows ERC-4337 (an entry point validates each operation with its
// account, then executes it, and pays the bundler), trimmed to what costs gas: nonce checks, an ECDSA
// signature check per operation, the operation's call, the fee bookkeeping.
pragma solidity ^0.8.24;

struct UserOp {
    address sender;
    uint256 nonce;
    bytes callData;
    uint256 fee;
    bytes signature;
}

interface IAccount {
    function validateUserOp(UserOp calldata op, bytes32 opHash) external returns (bool);
}

contract BundleEntryPoint {
    mapping(address => uint256) public nonces;
    mapping(address => uint256) public deposits;

    event UserOpDone(address indexed sender, uint256 nonce, bool success);

    function opHash(UserOp calldata op) public view returns (bytes32) {
        return keccak256(abi.encode(op.sender, op.nonce, keccak256(op.callData), op.fee, address(this), block.chainid));
    }

    function depositTo(address account) external payable {
        deposits[account] += msg.value;
    }

    function handleOps(UserOp[] calldata ops, address payable beneficiary) external {
        uint256 collected;
        for (uint256 i = 0; i < ops.length; i++) {
            UserOp calldata op = ops[i];
            require(nonces[op.sender]++ == op.nonce, "nonce");
            require(IAccount(op.sender).validateUserOp(op, opHash(op)), "signature");
            require(deposits[op.sender] >= op.fee, "deposit");
            deposits[op.sender] -= op.fee;
            collected += op.fee;
            (bool ok,) = op.sender.call(op.callData);
            emit UserOpDone(op.sender, op.nonce, ok);
        }
        (bool paid,) = beneficiary.call{value: collected}("");
        require(paid, "pay");
    }
}

// Its owner and entry point are storage slots 0 and 1 (set in the benchmark's pre-state), so every account
// has the same runtime code.
contract BundleAccount {
    address public owner;
    address public entryPoint;

    function validateUserOp(UserOp calldata op, bytes32 opHash) external view returns (bool) {
        require(msg.sender == entryPoint, "entry point");
        bytes calldata sig = op.signature;
        require(sig.length == 65, "signature length");
        bytes32 r = bytes32(sig[0:32]);
        bytes32 s = bytes32(sig[32:64]);
        uint8 v = uint8(sig[64]);
        return ecrecover(opHash, v, r, s) == owner;
    }

    function execute(address target, bytes calldata data) external {
        require(msg.sender == entryPoint, "entry point");
        (bool ok, bytes memory ret) = target.call(data);
        if (!ok) {
            assembly { revert(add(ret, 32), mload(ret)) }
        }
    }
}
