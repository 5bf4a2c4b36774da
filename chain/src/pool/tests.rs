//! Pool behaviour: nonce order, pending versus queued, replacement by fee, fees and fifo orders, pruning.

use super::*;
use alloy_consensus::{Signed, TxLegacy};
use alloy_primitives::{Signature, TxKind};
use parevm_evm_core::TxEnv;
use proptest::prelude::*;

fn tx(sender: u8, nonce: u64, price: u64, salt: u8) -> PoolTx {
    let legacy = TxLegacy {
        nonce,
        gas_price: price as u128,
        gas_limit: 21_000,
        to: TxKind::Call(Address::repeat_byte(0xee)),
        ..Default::default()
    };
    let hash = B256::from_slice(&[sender, nonce as u8, price as u8, salt].repeat(8));
    let envelope = Signed::new_unchecked(legacy, Signature::test_signature(), hash).into();
    PoolTx {
        hash,
        sender: Address::repeat_byte(sender),
        envelope,
        env: TxEnv {
            caller: Address::repeat_byte(sender),
            nonce,
            gas_price: U256::from(price),
            gas_limit: 21_000,
            ..Default::default()
        },
        arrival: 0,
    }
}

fn nonces(list: &[Arc<PoolTx>]) -> Vec<(u8, u64)> {
    list.iter().map(|t| (t.sender[0], t.nonce())).collect()
}

#[test]
fn gap_makes_later_nonces_queued() {
    let mut p = TxPool::new(TxOrder::Fees, 100);
    assert!(p.add(tx(1, 0, 10, 0), 0).expect("add").pending);
    assert!(!p.add(tx(1, 2, 10, 0), 0).expect("add").pending);
    let (pending, queued) = p.split(|_| 0);
    assert_eq!(nonces(&pending), vec![(1, 0)]);
    assert_eq!(nonces(&queued), vec![(1, 2)]);
    // Filling the gap promotes the queued one.
    assert!(p.add(tx(1, 1, 10, 0), 0).expect("add").pending);
    let (pending, queued) = p.split(|_| 0);
    assert_eq!(nonces(&pending), vec![(1, 0), (1, 1), (1, 2)]);
    assert!(queued.is_empty());
}

#[test]
fn nonce_below_state_is_refused() {
    let mut p = TxPool::new(TxOrder::Fees, 100);
    assert_eq!(
        p.add(tx(1, 3, 10, 0), 5),
        Err(PoolError::NonceTooLow { tx: 3, state: 5 })
    );
}

#[test]
fn replacement_needs_a_higher_fee() {
    let mut p = TxPool::new(TxOrder::Fees, 100);
    let first = p.add(tx(1, 0, 10, 0), 0).expect("add");
    assert_eq!(
        p.add(tx(1, 0, 10, 1), 0),
        Err(PoolError::ReplacementUnderpriced)
    );
    let second = p.add(tx(1, 0, 11, 2), 0).expect("replace");
    assert_eq!(second.replaced, Some(first.hash));
    assert_eq!(p.len(), 1);
    assert!(p.get(&first.hash).is_none());
    assert_eq!(
        p.add(tx(1, 0, 11, 2), 0),
        Err(PoolError::AlreadyKnown(second.hash))
    );
}

#[test]
fn fees_order_interleaves_senders_by_tip_and_keeps_nonce_order() {
    let mut p = TxPool::new(TxOrder::Fees, 100);
    p.add(tx(1, 0, 5, 0), 0).expect("add");
    p.add(tx(1, 1, 50, 0), 0).expect("add");
    p.add(tx(2, 0, 20, 0), 0).expect("add");
    p.add(tx(3, 0, 20, 0), 0).expect("add");
    // Sender 1's cheap nonce 0 holds its expensive nonce 1 back; 2 and 3 tie on fee, 2 arrived first.
    assert_eq!(
        nonces(&p.best(|_| 0, U256::ZERO)),
        vec![(2, 0), (3, 0), (1, 0), (1, 1)]
    );
    let mut f = TxPool::new(TxOrder::Fifo, 100);
    f.add(tx(1, 0, 5, 0), 0).expect("add");
    f.add(tx(2, 0, 50, 0), 0).expect("add");
    f.add(tx(1, 1, 50, 0), 0).expect("add");
    assert_eq!(
        nonces(&f.best(|_| 0, U256::ZERO)),
        vec![(1, 0), (2, 0), (1, 1)]
    );
}

#[test]
fn prune_and_remove() {
    let mut p = TxPool::new(TxOrder::Fees, 100);
    for n in 0..4 {
        p.add(tx(1, n, 10, 0), 0).expect("add");
    }
    p.prune(|_| 2);
    assert_eq!(p.len(), 2);
    let h = p.best(|_| 2, U256::ZERO)[0].hash;
    p.remove(&h).expect("present");
    // Nonce 3 is now behind a gap.
    assert!(p.best(|_| 2, U256::ZERO).is_empty());
    assert_eq!(p.split(|_| 2).1.len(), 1);
}

#[test]
fn full_pool_refuses_new_but_allows_replacement() {
    let mut p = TxPool::new(TxOrder::Fees, 1);
    p.add(tx(1, 0, 10, 0), 0).expect("add");
    assert_eq!(p.add(tx(2, 0, 10, 0), 0), Err(PoolError::PoolFull));
    p.add(tx(1, 0, 20, 0), 0).expect("replacement fits");
}

proptest! {
    /// Whatever arrives, the candidates of each sender are the contiguous run from its state nonce, in
    /// nonce order, and every candidate is in the pool.
    #[test]
    fn best_is_contiguous_per_sender(
        adds in proptest::collection::vec((1u8..4, 0u64..6, 1u64..40), 0..40),
        state in proptest::collection::vec(0u64..3, 3),
    ) {
        let nonce_of = |a: Address| state[(a[0] - 1) as usize];
        let mut p = TxPool::new(TxOrder::Fees, 1000);
        for (i, (s, n, fee)) in adds.iter().enumerate() {
            let _ = p.add(tx(*s, *n, *fee, i as u8), nonce_of(Address::repeat_byte(*s)));
        }
        let best = p.best(nonce_of, U256::from(3));
        let mut next: HashMap<Address, u64> = HashMap::default();
        for t in &best {
            let expect = next.entry(t.sender).or_insert_with(|| nonce_of(t.sender));
            prop_assert_eq!(t.nonce(), *expect);
            *expect += 1;
            prop_assert!(p.get(&t.hash).is_some());
        }
        let (pending, queued) = p.split(nonce_of);
        prop_assert_eq!(pending.len(), best.len());
        prop_assert_eq!(pending.len() + queued.len(), p.len());
    }
}

#[test]
fn a_run_up_to_the_largest_nonce_ends_there() {
    let mut p = TxPool::new(TxOrder::Fees, 100);
    let top = u64::MAX;
    assert!(p.add(tx(1, top - 1, 10, 0), top - 1).expect("add").pending);
    assert!(p.add(tx(1, top, 10, 0), top - 1).expect("add").pending);
    let (pending, queued) = p.split(|_| top - 1);
    assert_eq!(nonces(&pending), vec![(1, top - 1), (1, top)]);
    assert!(queued.is_empty());
}
