//! A test transport that expects exact command bytes and answers from a script.
//! A command that differs from the script is an error with both sides in hex.

use super::{Transport, TransportError};
use std::collections::VecDeque;

/// Expected commands and their canned responses, in order.
#[derive(Debug, Default)]
pub struct Scripted {
    steps: VecDeque<(Vec<u8>, Vec<u8>)>,
    sent: usize,
}

impl Scripted {
    /// A script of (expected command, response) pairs.
    pub fn new(steps: impl IntoIterator<Item = (Vec<u8>, Vec<u8>)>) -> Self {
        Scripted { steps: steps.into_iter().collect(), sent: 0 }
    }

    /// Steps not yet consumed.
    pub fn remaining(&self) -> usize {
        self.steps.len()
    }
}

impl Transport for Scripted {
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        self.sent += 1;
        let Some((expected, response)) = self.steps.pop_front() else {
            return Err(TransportError::Script(format!(
                "command #{} sent after the script ended: {}",
                self.sent,
                hex::encode_upper(command)
            )));
        };
        if expected != command {
            return Err(TransportError::Script(format!(
                "command #{}:\n  expected {}\n  sent     {}",
                self.sent,
                hex::encode_upper(&expected),
                hex::encode_upper(command)
            )));
        }
        Ok(response)
    }
}
