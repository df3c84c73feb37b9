//! A transport on its own thread, so that a card that never answers cannot hang the
//! caller: each APDU waits at most its [`Wait::deadline`], then the link is given up
//! ([`TransportError::NoAnswer`]) and the thread is left blocked; it ends with the
//! process. Used for the in-process virtual key; PC/SC has its own worker in `pcsc.rs`
//! because its transactions must stay on one thread.

use super::{Transport, TransportError, Wait};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

type Reply = mpsc::SyncSender<Result<Vec<u8>, TransportError>>;

/// `inner` behind a thread and a deadline.
pub struct Deadline {
    to_worker: Option<mpsc::Sender<(Vec<u8>, Wait, Reply)>>,
    worker: Option<JoinHandle<()>>,
    limits: Limits,
    stuck: Option<Duration>,
}

/// How long each kind of wait may take.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// For [`Wait::Answer`].
    pub answer: Duration,
    /// For [`Wait::Touch`].
    pub touch: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { answer: Wait::Answer.deadline(), touch: Wait::Touch.deadline() }
    }
}

impl Deadline {
    /// Moves `inner` to its own thread, with the standard deadlines.
    pub fn new<T: Transport + Send + 'static>(inner: T) -> Self {
        Deadline::with_limits(inner, Limits::default())
    }

    /// Moves `inner` to its own thread, with these deadlines.
    pub fn with_limits<T: Transport + Send + 'static>(mut inner: T, limits: Limits) -> Self {
        let (to_worker, requests) = mpsc::channel::<(Vec<u8>, Wait, Reply)>();
        let worker = std::thread::spawn(move || {
            for (command, wait, reply) in requests {
                let _ = reply.send(inner.transmit_within(&command, wait));
            }
        });
        Deadline { to_worker: Some(to_worker), worker: Some(worker), limits, stuck: None }
    }
}

impl Transport for Deadline {
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        self.transmit_within(command, Wait::Answer)
    }

    fn transmit_within(&mut self, command: &[u8], wait: Wait) -> Result<Vec<u8>, TransportError> {
        // a card that missed one deadline is still busy with that command
        if let Some(waited) = self.stuck {
            return Err(TransportError::NoAnswer { waited });
        }
        let limit = match wait {
            Wait::Answer => self.limits.answer,
            Wait::Touch => self.limits.touch,
        };
        let gone = || TransportError::io("the card's thread ended", std::io::Error::from(std::io::ErrorKind::BrokenPipe));
        let (reply, answer) = mpsc::sync_channel(1);
        self.to_worker.as_ref().ok_or_else(gone)?.send((command.to_vec(), wait, reply)).map_err(|_| gone())?;
        match answer.recv_timeout(limit) {
            Ok(result) => result,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                self.stuck = Some(limit);
                Err(TransportError::NoAnswer { waited: limit })
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => Err(gone()),
        }
    }
}

impl Drop for Deadline {
    fn drop(&mut self) {
        // closing the channel ends the worker, which drops the transport there
        drop(self.to_worker.take());
        if self.stuck.is_none() {
            if let Some(w) = self.worker.take() {
                let _ = w.join();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Answers the first command, then never again.
    struct Mute {
        answered: bool,
        never: mpsc::Receiver<()>,
    }

    impl Transport for Mute {
        fn transmit(&mut self, _command: &[u8]) -> Result<Vec<u8>, TransportError> {
            if std::mem::replace(&mut self.answered, true) {
                // blocks for good: the sender lives in the test, which never sends
                let _ = self.never.recv();
            }
            Ok(vec![0x90, 0x00])
        }
    }

    #[test]
    fn a_card_that_stops_answering_is_given_up_after_its_deadline() {
        let (keep, never) = mpsc::channel();
        let limits = Limits { answer: Duration::from_millis(50), touch: Duration::from_millis(200) };
        let mut t = Deadline::with_limits(Mute { answered: false, never }, limits);
        assert_eq!(t.transmit(&[0, 0xA4, 4, 0]), Ok(vec![0x90, 0x00]));
        assert_eq!(t.transmit_within(&[0, 0xA1, 0, 0], Wait::Touch), Err(TransportError::NoAnswer { waited: limits.touch }));
        // given up for good: no second wait
        assert_eq!(t.transmit(&[0, 0xA1, 0, 0]), Err(TransportError::NoAnswer { waited: limits.touch }));
        drop(t);
        drop(keep);
    }
}
