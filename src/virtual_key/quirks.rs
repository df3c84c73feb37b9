//! Quirk profiles: the ways other YKOATH cards answer within (or just outside) what
//! ISO 7816 and YKOATH allow, so the client's tolerance is tested without hardware.
//! `ykotp virtual init --quirk NAME` stores them in the state file; docs/tokens.md says
//! which real cards do what, with the exact status words.

use serde::{Deserialize, Serialize};

/// The quirks one virtual key has. Empty for a faithful YubiKey.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Quirks {
    /// A command without Le is answered as "send 0 bytes": `61xx` and the data held back.
    pub missing_le_means_zero: bool,
    /// An answer longer than the chunk size is announced with `61xx` that never brings data.
    pub empty_more_data: bool,
    /// CALCULATE ALL is refused with `6985` (a Nitrokey 3 built without it).
    pub no_calculate_all: bool,
    /// PUT over an existing name is refused with `6983`.
    pub no_overwrite: bool,
    /// DELETE and RESET ask for a touch (`6982` without one), as a Nitrokey 3 does.
    pub touch_on_delete: bool,
    /// SELECT reports a fresh random salt every time (so the device id changes).
    pub volatile_salt: bool,
    /// SET CODE answers `9000` and stores nothing.
    pub set_code_ignored: bool,
    /// After the OATH applet is selected, no command is ever answered.
    pub never_answers: bool,
    /// Room for this many accounts instead of the firmware's 32 or 64.
    pub capacity: Option<usize>,
}

/// Every quirk's name, as `--quirk` takes it (`capacity` takes `=N`).
pub const NAMES: [&str; 9] = [
    "missing-le-means-zero",
    "empty-61xx",
    "no-calculate-all",
    "no-overwrite",
    "touch-on-delete",
    "volatile-salt",
    "set-code-ignored",
    "never-answers",
    "capacity=N",
];

impl Quirks {
    /// No quirk at all.
    pub fn is_empty(&self) -> bool {
        *self == Quirks::default()
    }

    /// Adds the quirk `name` (one of [`NAMES`]).
    pub fn add(&mut self, name: &str) -> Result<(), String> {
        let flag = match name {
            "missing-le-means-zero" => &mut self.missing_le_means_zero,
            "empty-61xx" => &mut self.empty_more_data,
            "no-calculate-all" => &mut self.no_calculate_all,
            "no-overwrite" => &mut self.no_overwrite,
            "touch-on-delete" => &mut self.touch_on_delete,
            "volatile-salt" => &mut self.volatile_salt,
            "set-code-ignored" => &mut self.set_code_ignored,
            "never-answers" => &mut self.never_answers,
            _ => {
                let n = name.strip_prefix("capacity=").and_then(|n| n.parse::<usize>().ok()).filter(|&n| n > 0);
                return match n {
                    Some(n) => {
                        self.capacity = Some(n);
                        Ok(())
                    }
                    None => Err(format!("unknown quirk \"{name}\" (one of: {})", NAMES.join(", "))),
                };
            }
        };
        *flag = true;
        Ok(())
    }

    /// The quirks' names, in [`NAMES`] order.
    pub fn names(&self) -> Vec<String> {
        let flags = [
            self.missing_le_means_zero,
            self.empty_more_data,
            self.no_calculate_all,
            self.no_overwrite,
            self.touch_on_delete,
            self.volatile_salt,
            self.set_code_ignored,
            self.never_answers,
        ];
        let mut out: Vec<String> = NAMES.iter().zip(flags).filter(|(_, on)| *on).map(|(n, _)| (*n).to_owned()).collect();
        out.extend(self.capacity.map(|n| format!("capacity={n}")));
        out
    }
}

impl std::str::FromStr for Quirks {
    type Err = String;
    /// One quirk name (for clap: `--quirk` may be repeated).
    fn from_str(s: &str) -> Result<Self, String> {
        let mut q = Quirks::default();
        q.add(s)?;
        Ok(q)
    }
}

impl Serialize for Quirks {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.names().serialize(s)
    }
}

impl<'de> Deserialize<'de> for Quirks {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut q = Quirks::default();
        for name in Vec::<String>::deserialize(d)? {
            q.add(&name).map_err(serde::de::Error::custom)?;
        }
        Ok(q)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        let mut q = Quirks::default();
        for n in ["no-overwrite", "capacity=100", "never-answers"] {
            q.add(n).unwrap();
        }
        assert_eq!(q.names(), ["no-overwrite", "never-answers", "capacity=100"]);
        let json = serde_json::to_string(&q).unwrap();
        assert_eq!(serde_json::from_str::<Quirks>(&json).unwrap(), q);
        assert!(q.add("capacity=0").is_err());
        assert!(q.add("sometimes").unwrap_err().contains("one of: missing-le-means-zero"));
    }
}
