//! serde (feature `serde`): a ring serializes as its membership — the configuration and the
//! nodes with their weights, under a format version — and deserializes by building the ring
//! again through its own constructors, so a deserialized ring is exactly one `add` could have
//! built (the same lookups), and a hostile input meets the same checks: a zero weight, a
//! duplicate node or a zero table size is the crate's typed error, and unknown fields are
//! refused. Only rings with the
//! default hasher have a serde form: a custom hasher is not data, and the same membership
//! under another hasher would place keys elsewhere.

use crate::{DefaultBuildHasher, HashRing, KetamaFlavor, KetamaRing, Maglev, Rendezvous};
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::hash::Hash;

/// The version every form below carries; another is refused.
const VERSION: u8 = 1;

fn check_version<E: serde::de::Error>(version: u8) -> Result<(), E> {
    if version == VERSION {
        Ok(())
    } else {
        Err(E::custom(format_args!(
            "unsupported ring format version {version} (this crate reads {VERSION})"
        )))
    }
}

#[derive(Serialize)]
struct RingOut<'a, N> {
    version: u8,
    vnodes_per_weight: u32,
    nodes: Vec<(&'a N, u32)>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RingIn<N> {
    version: u8,
    vnodes_per_weight: u32,
    nodes: Vec<(N, u32)>,
}

impl<N: Hash + Eq + Serialize> Serialize for HashRing<N, DefaultBuildHasher> {
    fn serialize<Z: Serializer>(&self, serializer: Z) -> Result<Z::Ok, Z::Error> {
        RingOut {
            version: VERSION,
            vnodes_per_weight: self.vnodes_per_weight(),
            nodes: self.nodes().collect(),
        }
        .serialize(serializer)
    }
}

impl<'de, N: Hash + Eq + Deserialize<'de>> Deserialize<'de> for HashRing<N, DefaultBuildHasher> {
    fn deserialize<De: Deserializer<'de>>(deserializer: De) -> Result<Self, De::Error> {
        let form = RingIn::<N>::deserialize(deserializer)?;
        check_version(form.version)?;
        let mut ring = HashRing::new(form.vnodes_per_weight).map_err(De::Error::custom)?;
        for (node, weight) in form.nodes {
            ring.add(node, weight).map_err(De::Error::custom)?;
        }
        Ok(ring)
    }
}

#[derive(Serialize)]
struct RendezvousOut<'a, N> {
    version: u8,
    nodes: Vec<(&'a N, f64)>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RendezvousIn<N> {
    version: u8,
    nodes: Vec<(N, f64)>,
}

impl<N: Hash + Eq + Serialize> Serialize for Rendezvous<N, DefaultBuildHasher> {
    fn serialize<Z: Serializer>(&self, serializer: Z) -> Result<Z::Ok, Z::Error> {
        RendezvousOut {
            version: VERSION,
            nodes: self.nodes().collect(),
        }
        .serialize(serializer)
    }
}

impl<'de, N: Hash + Eq + Deserialize<'de>> Deserialize<'de> for Rendezvous<N, DefaultBuildHasher> {
    fn deserialize<De: Deserializer<'de>>(deserializer: De) -> Result<Self, De::Error> {
        let form = RendezvousIn::<N>::deserialize(deserializer)?;
        check_version(form.version)?;
        let mut set = Rendezvous::new();
        for (node, weight) in form.nodes {
            set.add(node, weight).map_err(De::Error::custom)?;
        }
        Ok(set)
    }
}

#[derive(Serialize)]
struct MaglevOut<'a, N> {
    version: u8,
    size: u64,
    nodes: Vec<&'a N>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MaglevIn<N> {
    version: u8,
    size: u64,
    nodes: Vec<N>,
}

impl<N: Hash + Eq + Serialize> Serialize for Maglev<N, DefaultBuildHasher> {
    fn serialize<Z: Serializer>(&self, serializer: Z) -> Result<Z::Ok, Z::Error> {
        MaglevOut {
            version: VERSION,
            size: self.size(),
            nodes: self.nodes().collect(),
        }
        .serialize(serializer)
    }
}

impl<'de, N: Hash + Eq + Deserialize<'de>> Deserialize<'de> for Maglev<N, DefaultBuildHasher> {
    fn deserialize<De: Deserializer<'de>>(deserializer: De) -> Result<Self, De::Error> {
        let form = MaglevIn::<N>::deserialize(deserializer)?;
        check_version(form.version)?;
        let mut table = Maglev::new(form.size).map_err(De::Error::custom)?;
        for node in form.nodes {
            table.add(node).map_err(De::Error::custom)?;
        }
        Ok(table)
    }
}

/// [`KetamaFlavor`] by name.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Flavor {
    Uhashring,
    Libketama,
}

#[derive(Serialize)]
struct KetamaOut<'a> {
    version: u8,
    flavor: Flavor,
    nodes: Vec<(&'a str, u32)>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KetamaIn {
    version: u8,
    flavor: Flavor,
    nodes: Vec<(String, u32)>,
}

impl Serialize for KetamaRing {
    fn serialize<Z: Serializer>(&self, serializer: Z) -> Result<Z::Ok, Z::Error> {
        KetamaOut {
            version: VERSION,
            flavor: match self.flavor() {
                KetamaFlavor::Uhashring => Flavor::Uhashring,
                KetamaFlavor::Libketama => Flavor::Libketama,
            },
            nodes: self.nodes().collect(),
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for KetamaRing {
    fn deserialize<De: Deserializer<'de>>(deserializer: De) -> Result<Self, De::Error> {
        let form = KetamaIn::deserialize(deserializer)?;
        check_version(form.version)?;
        let mut ring = KetamaRing::new(match form.flavor {
            Flavor::Uhashring => KetamaFlavor::Uhashring,
            Flavor::Libketama => KetamaFlavor::Libketama,
        });
        for (name, weight) in form.nodes {
            ring.add(&name, weight).map_err(De::Error::custom)?;
        }
        Ok(ring)
    }
}
