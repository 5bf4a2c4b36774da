// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// The deposit entry of OptimismPortal, alone: `depositTransaction` emits the `TransactionDeposited` log a
/// rollup node derives a 0x7E deposit transaction from (OP specs, "Deposits": version 0, opaqueData =
/// abi.encodePacked(mint, value, gasLimit, isCreation, data)). The ETH sent along stays here as the portal's
/// locked balance and becomes the deposit's `mint` on L2. The test's L1 (anvil) runs it at the rollup
/// config's `deposit_contract_address`.
contract Portal {
    /// OptimismPortal's event, same signature.
    event TransactionDeposited(address indexed from, address indexed to, uint256 indexed version, bytes opaqueData);

    /// The L1-to-L2 alias offset a contract caller's address gets (OP specs, "Address aliasing").
    uint160 constant ALIAS_OFFSET = uint160(0x1111000000000000000000000000000000001111);

    function depositTransaction(address _to, uint256 _value, uint64 _gasLimit, bool _isCreation, bytes memory _data)
        external
        payable
    {
        address from = msg.sender;
        if (msg.sender != tx.origin) {
            unchecked {
                from = address(uint160(msg.sender) + ALIAS_OFFSET);
            }
        }
        bytes memory opaqueData = abi.encodePacked(msg.value, _value, _gasLimit, _isCreation, _data);
        emit TransactionDeposited(from, _to, 0, opaqueData);
    }
}
