//! Forks: which Ethereum rules are in force for a transaction.
//!
//! The fork enum is revm-primitives' [`SpecId`]; this module adds the name mapping used by fixtures.

pub use revm_primitives::hardfork::SpecId;

/// Parses a fork name as the official fixtures spell it (`"Cancun"`, `"ConstantinopleFix"`, `"EIP150"`...).
pub fn spec_from_fixture_name(name: &str) -> Option<SpecId> {
    Some(match name {
        "Frontier" => SpecId::FRONTIER,
        "Homestead" => SpecId::HOMESTEAD,
        "EIP150" | "TangerineWhistle" | "Tangerine" => SpecId::TANGERINE,
        "EIP158" | "SpuriousDragon" | "Spurious" => SpecId::SPURIOUS_DRAGON,
        "Byzantium" => SpecId::BYZANTIUM,
        "ConstantinopleFix" | "Petersburg" => SpecId::PETERSBURG,
        "Istanbul" => SpecId::ISTANBUL,
        "Berlin" => SpecId::BERLIN,
        "London" => SpecId::LONDON,
        "Paris" | "Merge" => SpecId::MERGE,
        "Shanghai" => SpecId::SHANGHAI,
        "Cancun" => SpecId::CANCUN,
        "Prague" => SpecId::PRAGUE,
        "Osaka" => SpecId::OSAKA,
        "Amsterdam" => SpecId::AMSTERDAM,
        _ => return None,
    })
}

/// The fixture name of a fork (the inverse of [`spec_from_fixture_name`] for mainnet forks).
pub fn fixture_name(spec: SpecId) -> &'static str {
    match spec {
        SpecId::FRONTIER => "Frontier",
        SpecId::HOMESTEAD => "Homestead",
        SpecId::TANGERINE => "EIP150",
        SpecId::SPURIOUS_DRAGON => "EIP158",
        SpecId::BYZANTIUM => "Byzantium",
        SpecId::PETERSBURG => "ConstantinopleFix",
        SpecId::ISTANBUL => "Istanbul",
        SpecId::BERLIN => "Berlin",
        SpecId::LONDON => "London",
        SpecId::MERGE => "Paris",
        SpecId::SHANGHAI => "Shanghai",
        SpecId::CANCUN => "Cancun",
        SpecId::PRAGUE => "Prague",
        SpecId::OSAKA => "Osaka",
        SpecId::AMSTERDAM => "Amsterdam",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for id in 0..=SpecId::AMSTERDAM as u8 {
            let spec = SpecId::try_from_u8(id).expect("in range");
            assert_eq!(spec_from_fixture_name(fixture_name(spec)), Some(spec));
        }
        assert_eq!(spec_from_fixture_name("Constantinople"), None);
    }
}
