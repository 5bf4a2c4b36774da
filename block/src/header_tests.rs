//! Unit tests of the header rules: base fee, blob gas, gas limit bounds and field presence.

use super::*;
use crate::fork::ForkParams;

fn osaka_blobs() -> BlobParams {
    BlobParams::for_spec(SpecId::OSAKA)
}

fn cancun_blobs() -> BlobParams {
    BlobParams::for_spec(SpecId::CANCUN)
}

#[test]
fn base_fee_follows_parent_usage() {
    // At target: unchanged.
    assert_eq!(
        next_base_fee(15_000_000, 30_000_000, 1_000_000_000),
        1_000_000_000
    );
    // Full block: +12.5%.
    assert_eq!(
        next_base_fee(30_000_000, 30_000_000, 1_000_000_000),
        1_125_000_000
    );
    // Empty block: -12.5%.
    assert_eq!(next_base_fee(0, 30_000_000, 1_000_000_000), 875_000_000);
    // Above target always raises by at least one wei.
    assert_eq!(next_base_fee(15_000_001, 30_000_000, 7), 8);
    // Below target with a tiny fee may not move at all.
    assert_eq!(next_base_fee(14_999_999, 30_000_000, 7), 7);
    // No overflow with huge fees.
    assert!(next_base_fee(30_000_000, 30_000_000, u64::MAX / 2) > u64::MAX / 2);
}

#[test]
fn excess_blob_gas_cancun() {
    let b = cancun_blobs();
    let spec = SpecId::CANCUN;
    assert_eq!(next_excess_blob_gas(0, 0, 7, &b, spec), 0);
    assert_eq!(next_excess_blob_gas(0, 3 * GAS_PER_BLOB, 7, &b, spec), 0);
    assert_eq!(
        next_excess_blob_gas(0, 6 * GAS_PER_BLOB, 7, &b, spec),
        3 * GAS_PER_BLOB
    );
    assert_eq!(
        next_excess_blob_gas(2 * GAS_PER_BLOB, 2 * GAS_PER_BLOB, 7, &b, spec),
        GAS_PER_BLOB
    );
}

#[test]
fn excess_blob_gas_reserve_price_from_osaka() {
    let b = osaka_blobs();
    let used = 8 * GAS_PER_BLOB;
    // Prague rules: excess grows by used - target.
    assert_eq!(
        next_excess_blob_gas(0, used, 1_000_000_000, &b, SpecId::PRAGUE),
        2 * GAS_PER_BLOB
    );
    // Osaka with an expensive execution base fee: the reserve price binds (EIP-7918).
    assert_eq!(
        next_excess_blob_gas(0, used, 1_000_000_000, &b, SpecId::OSAKA),
        used * 3 / 9
    );
    // Osaka with a zero base fee: the reserve price does not bind.
    assert_eq!(
        next_excess_blob_gas(0, used, 0, &b, SpecId::OSAKA),
        2 * GAS_PER_BLOB
    );
}

#[test]
fn gas_limit_bounds() {
    assert!(gas_limit_in_bounds(30_000_000, 30_000_000));
    let delta = 30_000_000 / 1024;
    assert!(gas_limit_in_bounds(30_000_000 + delta - 1, 30_000_000));
    assert!(!gas_limit_in_bounds(30_000_000 + delta, 30_000_000));
    assert!(!gas_limit_in_bounds(30_000_000 - delta, 30_000_000));
    assert!(!gas_limit_in_bounds(4_999, 5_000));
}

fn fork(spec: SpecId) -> ForkParams {
    ForkParams {
        name: "test",
        spec,
        blob: BlobParams::for_spec(spec),
    }
}

fn cancun_parent() -> Header {
    Header {
        number: 1,
        timestamp: 12,
        gas_limit: 30_000_000,
        gas_used: 15_000_000,
        base_fee_per_gas: Some(1_000_000_000),
        withdrawals_root: Some(B256::ZERO),
        blob_gas_used: Some(6 * GAS_PER_BLOB),
        excess_blob_gas: Some(0),
        parent_beacon_block_root: Some(B256::ZERO),
        ..Default::default()
    }
}

fn cancun_child(parent: &Header) -> Header {
    Header {
        parent_hash: parent.hash_slow(),
        number: 2,
        timestamp: 24,
        excess_blob_gas: Some(3 * GAS_PER_BLOB),
        blob_gas_used: Some(0),
        ..parent.clone()
    }
}

#[test]
fn valid_child_passes() {
    let p = cancun_parent();
    let c = cancun_child(&p);
    assert_eq!(
        validate_header(&c, &p, p.hash_slow(), &fork(SpecId::CANCUN)),
        Ok(())
    );
}

#[test]
fn wrong_excess_blob_gas_is_rejected() {
    let p = cancun_parent();
    let mut c = cancun_child(&p);
    c.excess_blob_gas = Some(0);
    assert_eq!(
        validate_header(&c, &p, p.hash_slow(), &fork(SpecId::CANCUN)),
        Err(HeaderError::ExcessBlobGas {
            expected: 3 * GAS_PER_BLOB,
            got: 0
        })
    );
}

#[test]
fn wrong_base_fee_is_rejected() {
    let p = cancun_parent();
    let mut c = cancun_child(&p);
    c.base_fee_per_gas = Some(1);
    assert_eq!(
        validate_header(&c, &p, p.hash_slow(), &fork(SpecId::CANCUN)),
        Err(HeaderError::BaseFee {
            expected: 1_000_000_000,
            got: Some(1)
        })
    );
}

#[test]
fn parent_hash_number_timestamp() {
    let p = cancun_parent();
    let f = fork(SpecId::CANCUN);
    let mut c = cancun_child(&p);
    c.parent_hash = B256::repeat_byte(1);
    assert!(matches!(
        validate_header(&c, &p, p.hash_slow(), &f),
        Err(HeaderError::ParentHash { .. })
    ));
    let mut c = cancun_child(&p);
    c.number = 3;
    assert!(matches!(
        validate_header(&c, &p, p.hash_slow(), &f),
        Err(HeaderError::Number { .. })
    ));
    let mut c = cancun_child(&p);
    c.timestamp = p.timestamp;
    assert!(matches!(
        validate_header(&c, &p, p.hash_slow(), &f),
        Err(HeaderError::Timestamp { .. })
    ));
}

#[test]
fn fields_must_match_the_fork() {
    let p = cancun_parent();
    let c = cancun_child(&p);
    assert_eq!(
        check_fields(&c, SpecId::SHANGHAI),
        Err(HeaderError::UnexpectedField("blobGasUsed"))
    );
    assert_eq!(
        check_fields(&c, SpecId::PRAGUE),
        Err(HeaderError::MissingField("requestsHash"))
    );
}

#[test]
fn london_transition_starts_at_initial_base_fee() {
    let parent = Header {
        number: 9,
        timestamp: 1,
        gas_limit: 15_000_000,
        ..Default::default()
    };
    let child = Header {
        parent_hash: parent.hash_slow(),
        number: 10,
        timestamp: 2,
        // Twice the parent's limit is within bounds at the transition.
        gas_limit: 30_000_000,
        base_fee_per_gas: Some(INITIAL_BASE_FEE),
        ..Default::default()
    };
    assert_eq!(
        validate_header(&child, &parent, parent.hash_slow(), &fork(SpecId::LONDON)),
        Ok(())
    );
}
