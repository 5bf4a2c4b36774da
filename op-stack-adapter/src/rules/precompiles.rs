//! The OP-Stack precompile sets per fork: Ethereum's set for the fork's EVM rules, plus RIP-7212
//! `P256VERIFY` from Fjord, and input caps on the variable-input precompiles (Granite: `bn256Pairing`;
//! Isthmus: the BLS12-381 MSMs and pairing; Jovian and Karst: tighter caps). An input over its cap fails
//! the call like any precompile error (all gas given to it is consumed). The cryptography is
//! revm-precompile's.

use crate::fork::OpFork;
use revm_precompile::bls12_381_const::{G1_MSM_ADDRESS, G2_MSM_ADDRESS, PAIRING_ADDRESS};
use revm_precompile::{
    bls12_381, bn254, call_eth_precompile, secp256r1, EthPrecompileResult, Precompile,
    PrecompileHalt, PrecompileId, PrecompileResult, Precompiles,
};
use std::sync::OnceLock;

/// Granite: `bn256Pairing` input at most this many bytes.
pub const BN256_PAIRING_MAX_GRANITE: usize = 112_687;
/// Jovian: `bn256Pairing` input cap.
pub const BN256_PAIRING_MAX_JOVIAN: usize = 81_984;
/// Karst: `bn256Pairing` input cap.
pub const BN256_PAIRING_MAX_KARST: usize = 57_600;
/// Isthmus: BLS12-381 G1 MSM input cap.
pub const BLS_G1_MSM_MAX_ISTHMUS: usize = 513_760;
/// Jovian: BLS12-381 G1 MSM input cap.
pub const BLS_G1_MSM_MAX_JOVIAN: usize = 288_960;
/// Isthmus: BLS12-381 G2 MSM input cap.
pub const BLS_G2_MSM_MAX_ISTHMUS: usize = 488_448;
/// Jovian: BLS12-381 G2 MSM input cap.
pub const BLS_G2_MSM_MAX_JOVIAN: usize = 278_784;
/// Isthmus: BLS12-381 pairing input cap.
pub const BLS_PAIRING_MAX_ISTHMUS: usize = 235_008;
/// Jovian: BLS12-381 pairing input cap.
pub const BLS_PAIRING_MAX_JOVIAN: usize = 156_672;

fn bn_pair(input: &[u8], gas_limit: u64) -> EthPrecompileResult {
    bn254::run_pair(
        input,
        bn254::pair::ISTANBUL_PAIR_PER_POINT,
        bn254::pair::ISTANBUL_PAIR_BASE,
        gas_limit,
    )
}

/// Defines a precompile function that fails inputs longer than `$cap` and runs `$inner` on the rest.
macro_rules! capped {
    ($name:ident, $cap:expr, $inner:expr, $halt:expr) => {
        fn $name(input: &[u8], gas_limit: u64, reservoir: u64) -> PrecompileResult {
            fn eth(input: &[u8], gas_limit: u64) -> EthPrecompileResult {
                if input.len() > $cap {
                    return Err($halt);
                }
                $inner(input, gas_limit)
            }
            Ok(call_eth_precompile(eth, input, gas_limit, reservoir))
        }
    };
}

fn too_long() -> PrecompileHalt {
    PrecompileHalt::Other("input longer than the OP Stack allows".into())
}

capped!(
    pair_granite,
    BN256_PAIRING_MAX_GRANITE,
    bn_pair,
    PrecompileHalt::Bn254PairLength
);
capped!(
    pair_jovian,
    BN256_PAIRING_MAX_JOVIAN,
    bn_pair,
    PrecompileHalt::Bn254PairLength
);
capped!(
    pair_karst,
    BN256_PAIRING_MAX_KARST,
    bn_pair,
    PrecompileHalt::Bn254PairLength
);
capped!(
    g1_msm_isthmus,
    BLS_G1_MSM_MAX_ISTHMUS,
    bls12_381::g1_msm::g1_msm,
    too_long()
);
capped!(
    g1_msm_jovian,
    BLS_G1_MSM_MAX_JOVIAN,
    bls12_381::g1_msm::g1_msm,
    too_long()
);
capped!(
    g2_msm_isthmus,
    BLS_G2_MSM_MAX_ISTHMUS,
    bls12_381::g2_msm::g2_msm,
    too_long()
);
capped!(
    g2_msm_jovian,
    BLS_G2_MSM_MAX_JOVIAN,
    bls12_381::g2_msm::g2_msm,
    too_long()
);
capped!(
    bls_pair_isthmus,
    BLS_PAIRING_MAX_ISTHMUS,
    bls12_381::pairing::pairing,
    too_long()
);
capped!(
    bls_pair_jovian,
    BLS_PAIRING_MAX_JOVIAN,
    bls12_381::pairing::pairing,
    too_long()
);

fn with(base: &Precompiles, replace: impl IntoIterator<Item = Precompile>) -> Precompiles {
    let mut set = base.clone();
    set.extend(replace);
    set
}

fn fjord() -> Precompiles {
    with(Precompiles::cancun(), [secp256r1::P256VERIFY])
}

fn granite() -> Precompiles {
    with(
        &fjord(),
        [Precompile::new(
            PrecompileId::Bn254Pairing,
            bn254::pair::ADDRESS,
            pair_granite,
        )],
    )
}

fn isthmus() -> Precompiles {
    let mut set = with(&granite(), bls12_381::precompiles());
    set.extend([
        Precompile::new(PrecompileId::Bls12G1Msm, G1_MSM_ADDRESS, g1_msm_isthmus),
        Precompile::new(PrecompileId::Bls12G2Msm, G2_MSM_ADDRESS, g2_msm_isthmus),
        Precompile::new(
            PrecompileId::Bls12Pairing,
            PAIRING_ADDRESS,
            bls_pair_isthmus,
        ),
    ]);
    set
}

fn jovian_caps() -> [Precompile; 3] {
    [
        Precompile::new(PrecompileId::Bls12G1Msm, G1_MSM_ADDRESS, g1_msm_jovian),
        Precompile::new(PrecompileId::Bls12G2Msm, G2_MSM_ADDRESS, g2_msm_jovian),
        Precompile::new(PrecompileId::Bls12Pairing, PAIRING_ADDRESS, bls_pair_jovian),
    ]
}

fn jovian() -> Precompiles {
    let mut set = with(&isthmus(), jovian_caps());
    set.extend([Precompile::new(
        PrecompileId::Bn254Pairing,
        bn254::pair::ADDRESS,
        pair_jovian,
    )]);
    set
}

fn karst() -> Precompiles {
    // Osaka's set (EIP-7823/7883 MODEXP, P256VERIFY at Osaka's price, the BLS12-381 family), with
    // Jovian's BLS caps and Karst's pairing cap.
    let mut set = with(Precompiles::osaka(), jovian_caps());
    set.extend([Precompile::new(
        PrecompileId::Bn254Pairing,
        bn254::pair::ADDRESS,
        pair_karst,
    )]);
    set
}

/// The precompiles of `fork`.
pub fn for_fork(fork: OpFork) -> &'static Precompiles {
    static SETS: [OnceLock<Precompiles>; 11] = [const { OnceLock::new() }; 11];
    SETS[fork as usize].get_or_init(|| match fork {
        OpFork::Bedrock | OpFork::Regolith | OpFork::Canyon | OpFork::Delta | OpFork::Ecotone => {
            parevm_evm_core::precompiles::set(fork.spec()).clone()
        }
        OpFork::Fjord => fjord(),
        OpFork::Granite | OpFork::Holocene => granite(),
        OpFork::Isthmus => isthmus(),
        OpFork::Jovian => jovian(),
        OpFork::Karst => karst(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::Address;
    use parevm_evm_core::precompiles::{run_in, PrecompileCall};

    const P256: Address = revm_precompile::u64_to_address(0x100);

    #[test]
    fn p256_arrives_with_fjord() {
        assert!(!for_fork(OpFork::Ecotone).contains(&P256));
        assert!(for_fork(OpFork::Fjord).contains(&P256));
        assert!(for_fork(OpFork::Karst).contains(&P256));
        assert!(!for_fork(OpFork::Holocene).contains(&G1_MSM_ADDRESS));
        assert!(for_fork(OpFork::Isthmus).contains(&G1_MSM_ADDRESS));
    }

    fn pairing(fork: OpFork, len: usize) -> PrecompileCall {
        let input = vec![0u8; len];
        run_in(for_fork(fork), &bn254::pair::ADDRESS, &input, u64::MAX / 2).expect("precompile")
    }

    #[test]
    fn pairing_caps_per_fork() {
        // 192-byte points of zeros are the point at infinity: a valid pairing input of any count.
        let ok = |c: &PrecompileCall| matches!(c, PrecompileCall::Success { .. });
        let over = 587 * 192; // 112,704 bytes: over Granite's cap
        assert!(ok(&pairing(OpFork::Fjord, over)));
        assert_eq!(pairing(OpFork::Granite, over), PrecompileCall::Failed);
        assert!(ok(&pairing(OpFork::Isthmus, 427 * 192)));
        assert_eq!(pairing(OpFork::Jovian, 428 * 192), PrecompileCall::Failed);
        assert!(ok(&pairing(OpFork::Jovian, 300 * 192)));
        assert!(ok(&pairing(OpFork::Karst, 300 * 192)));
        assert_eq!(pairing(OpFork::Karst, 301 * 192), PrecompileCall::Failed);
    }
}
