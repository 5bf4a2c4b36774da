//! `eth_simulateV1`'s logs of one call, as geth's simulation tracer numbers them: every LOG the call
//! emitted and, with `traceTransfers`, every ether transfer as an ERC-7528 log (the transaction's value, a
//! CALL's or CREATE's value, a SELFDESTRUCT's balance), in execution order, with the logs of failed
//! frames dropped. The log index counts every captured log of the block, dropped ones included (geth's
//! counter moves on when a log is captured, not when it survives).
//!
//! ```text
//! TxExecution + LogRecorder (frame starts/ends, LOG and SELFDESTRUCT steps) -> Vec<Event>
//!   -> call_logs(events, outcome.logs, pre-call state) -> surviving logs with their block-wide indices
//! ```
//! A SELFDESTRUCT's value is the balance at that moment: the balance before the call plus the values that
//! reached the account through frames still standing.

use alloy_primitives::{address, b256, Address, Bytes, Log, LogData, B256, U256};
use parevm_evm_core::interpreter::{CallScheme, Ctl, Frame, FrameEntry, FrameStart, Tracer};
use parevm_evm_core::{StateView, ViewError};
use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::Arc;

/// ERC-7528: the address ether transfer logs carry.
pub const TRANSFER_ADDRESS: Address = address!("eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee");
/// `keccak256("Transfer(address,address,uint256)")`.
pub const TRANSFER_TOPIC: B256 =
    b256!("ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef");

const SELFDESTRUCT: u8 = 0xff;
const LOG0: u8 = 0xa0;
const LOG4: u8 = 0xa4;

/// What the recorder saw, in execution order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// A frame starts; `value` moves from `from` to `to` (zero for DELEGATECALL, CALLCODE and STATICCALL
    /// as far as transfers go: geth logs no transfer for those).
    Enter {
        /// Sender of the value.
        from: Address,
        /// Receiver.
        to: Address,
        /// Value moved.
        value: U256,
    },
    /// The innermost open frame ends.
    Exit {
        /// It succeeded (its logs and transfers stay).
        success: bool,
    },
    /// A LOG instruction ran (the next of the call's logs, if its frame survives).
    Log,
    /// A SELFDESTRUCT ran in the frame of `address`, sending its balance to `beneficiary`.
    SelfDestruct {
        /// The destroyed account.
        address: Address,
        /// Who gets the balance.
        beneficiary: Address,
    },
}

/// A tracer that records [`Event`]s into a shared list.
#[derive(Debug, Default)]
pub struct LogRecorder {
    events: Arc<Mutex<Vec<Event>>>,
    /// The account whose storage and balance each open frame acts on.
    contexts: Vec<Address>,
    /// SELFDESTRUCT about to run: (address, beneficiary).
    pending: Option<(Address, Address)>,
}

impl LogRecorder {
    /// A recorder and the list it fills.
    pub fn new() -> (Self, Arc<Mutex<Vec<Event>>>) {
        let events = Arc::new(Mutex::new(Vec::new()));
        (
            Self {
                events: events.clone(),
                ..Default::default()
            },
            events,
        )
    }
}

impl Tracer for LogRecorder {
    fn step(&mut self, frame: &Frame, op: u8, _refund: i64) {
        self.pending = None;
        if op == SELFDESTRUCT {
            if let (Some(address), Some(top)) = (self.contexts.last(), frame.stack().last()) {
                let beneficiary = Address::from_word(B256::from(top.to_be_bytes::<32>()));
                self.pending = Some((*address, beneficiary));
            }
        }
    }

    fn step_end(&mut self, _frame: &Frame, op: u8, ctl: Ctl) {
        if matches!(ctl, Ctl::Halt(_)) {
            return;
        }
        if (LOG0..=LOG4).contains(&op) {
            self.events.lock().push(Event::Log);
        } else if op == SELFDESTRUCT {
            if let Some((address, beneficiary)) = self.pending.take() {
                self.events.lock().push(Event::SelfDestruct {
                    address,
                    beneficiary,
                });
            }
        }
    }

    fn frame_start(&mut self, start: &FrameStart<'_>) {
        let (context, moves_value) = match start.entry {
            FrameEntry::Call(CallScheme::DelegateCall) | FrameEntry::Call(CallScheme::CallCode) => {
                (self.contexts.last().copied().unwrap_or(start.from), false)
            }
            _ => (start.to, true),
        };
        self.contexts.push(context);
        self.events.lock().push(Event::Enter {
            from: start.from,
            to: start.to,
            value: if moves_value { start.value } else { U256::ZERO },
        });
    }

    fn frame_end(
        &mut self,
        status: parevm_evm_core::ExecStatus,
        _gas_left: u64,
        _output: &Bytes,
        _depth: usize,
    ) {
        self.contexts.pop();
        self.events.lock().push(Event::Exit {
            success: status.is_success(),
        });
    }
}

/// One captured log: the EVM's next log (if its frame survives) or a transfer.
enum Captured {
    Evm,
    Transfer(LogData),
}

/// An open frame: the logs it captured (with their block-wide indices), and the value moves to undo if it
/// fails (`(account, value, received)`).
#[derive(Default)]
struct OpenFrame {
    captured: Vec<(Captured, u64)>,
    undo: Vec<(Address, U256, bool)>,
}

fn transfer(from: Address, to: Address, value: U256) -> LogData {
    LogData::new_unchecked(
        vec![TRANSFER_TOPIC, from.into_word(), to.into_word()],
        Bytes::from(value.to_be_bytes::<32>().to_vec()),
    )
}

/// The call's logs in geth's order with their block-wide indices (`next_index` moves past every captured
/// log), from the recorded `events`, the EVM's surviving `logs`, and `state` before the call (for
/// SELFDESTRUCT balances). Transfers are captured only with `transfers`.
pub fn call_logs(
    events: &[Event],
    logs: &[Log],
    state: &dyn StateView,
    transfers: bool,
    next_index: &mut u64,
) -> Result<Vec<(Log, u64)>, ViewError> {
    // Per open frame: its captured logs, and the balance changes to undo if it fails.
    let mut frames: Vec<OpenFrame> = Vec::new();
    let mut deltas: HashMap<Address, (U256, U256)> = HashMap::new();
    let mut kept: Vec<(Captured, u64)> = Vec::new();
    let move_value = |deltas: &mut HashMap<Address, (U256, U256)>,
                      undo: &mut Vec<(Address, U256, bool)>,
                      from: Address,
                      to: Address,
                      value: U256| {
        deltas.entry(from).or_default().1 += value;
        deltas.entry(to).or_default().0 += value;
        undo.push((from, value, false));
        undo.push((to, value, true));
    };
    let mut capture = |frames: &mut Vec<OpenFrame>, c: Captured| {
        if let Some(f) = frames.last_mut() {
            f.captured.push((c, *next_index));
        }
        *next_index += 1;
    };
    for e in events {
        match e {
            Event::Enter { from, to, value } => {
                frames.push(OpenFrame::default());
                if !value.is_zero() {
                    if let Some(f) = frames.last_mut() {
                        move_value(&mut deltas, &mut f.undo, *from, *to, *value);
                    }
                    if transfers {
                        capture(
                            &mut frames,
                            Captured::Transfer(transfer(*from, *to, *value)),
                        );
                    }
                }
            }
            Event::Log => {
                capture(&mut frames, Captured::Evm);
            }
            Event::SelfDestruct {
                address,
                beneficiary,
            } => {
                let (got, gave) = deltas.get(address).copied().unwrap_or_default();
                let balance = (state.balance(*address)? + got).saturating_sub(gave);
                if !balance.is_zero() {
                    if let Some(f) = frames.last_mut() {
                        move_value(&mut deltas, &mut f.undo, *address, *beneficiary, balance);
                    }
                    if transfers {
                        capture(
                            &mut frames,
                            Captured::Transfer(transfer(*address, *beneficiary, balance)),
                        );
                    }
                }
            }
            Event::Exit { success } => {
                let Some(OpenFrame { captured, undo }) = frames.pop() else {
                    continue;
                };
                match (success, frames.last_mut()) {
                    (true, Some(parent)) => {
                        parent.captured.extend(captured);
                        parent.undo.extend(undo);
                    }
                    (true, None) => kept.extend(captured),
                    (false, _) => {
                        for (a, v, received) in undo {
                            let d = deltas.entry(a).or_default();
                            if received {
                                d.0 -= v;
                            } else {
                                d.1 -= v;
                            }
                        }
                    }
                }
            }
        }
    }
    // The EVM's surviving logs are exactly the surviving `Evm` captures, in order.
    let mut evm_logs = logs.iter();
    let mut out = Vec::with_capacity(kept.len());
    for (c, index) in kept {
        let log = match c {
            Captured::Evm => match evm_logs.next() {
                Some(l) => l.clone(),
                None => continue,
            },
            Captured::Transfer(data) => Log {
                address: TRANSFER_ADDRESS,
                data,
            },
        };
        out.push((log, index));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use parevm_state::InMemoryState;

    fn a(n: u8) -> Address {
        Address::repeat_byte(n)
    }

    #[test]
    fn failed_frames_drop_their_logs_but_keep_their_indices() {
        let events = vec![
            Event::Enter {
                from: a(1),
                to: a(2),
                value: U256::from(5),
            },
            Event::Log,
            Event::Enter {
                from: a(2),
                to: a(3),
                value: U256::from(1),
            },
            Event::Log,
            Event::Exit { success: false },
            Event::Log,
            Event::Exit { success: true },
        ];
        let evm = vec![
            Log {
                address: a(2),
                data: LogData::new_unchecked(vec![], Bytes::from_static(b"x")),
            },
            Log {
                address: a(2),
                data: LogData::new_unchecked(vec![], Bytes::from_static(b"y")),
            },
        ];
        let state = InMemoryState::new();
        let mut next = 10;
        let out = call_logs(&events, &evm, &state, true, &mut next).unwrap();
        // Transfer 1->2 (10), log x (11), [transfer 2->3 (12), inner log (13) dropped], log y (14).
        let indices: Vec<u64> = out.iter().map(|(_, i)| *i).collect();
        assert_eq!(indices, vec![10, 11, 14]);
        assert_eq!(out[0].0.address, TRANSFER_ADDRESS);
        assert_eq!(out[1].0, evm[0]);
        assert_eq!(out[2].0, evm[1]);
        assert_eq!(next, 15);
    }

    #[test]
    fn a_selfdestruct_sends_the_balance_it_has_then() {
        let mut state = InMemoryState::new();
        state.insert_account(a(2), U256::from(100), 0, Bytes::new(), []);
        let events = vec![
            Event::Enter {
                from: a(1),
                to: a(2),
                value: U256::from(7),
            },
            Event::SelfDestruct {
                address: a(2),
                beneficiary: a(9),
            },
            Event::Exit { success: true },
        ];
        let mut next = 0;
        let out = call_logs(&events, &[], &state, true, &mut next).unwrap();
        assert_eq!(out.len(), 2);
        assert_eq!(out[1].0.data, transfer(a(2), a(9), U256::from(107)));
    }
}
