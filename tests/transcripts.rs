//! Replays every `apdu/*.apdu` transcript twice: the client must send exactly the `>`
//! bytes (checked by the scripted transport), and the virtual key must answer exactly
//! the `<` bytes.

use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::path::Path;
use std::rc::Rc;
use ykotp::oath::proto::Version;
use ykotp::oath::{Credential, CredentialData, OathType, Session};
use ykotp::otp::{derive_access_key, Algorithm, Secret};
use ykotp::transport::scripted::Scripted;
use ykotp::transport::transcript::{encode_hex, parse, Step};
use ykotp::transport::{Transport, TransportError};
use ykotp::virtual_key::state::{KeyState, StoredAccessKey, StoredCredential, DEFAULT_VERSION};
use ykotp::virtual_key::{CardEnv, TouchPolicy, VirtualKey};

struct Shared(Rc<RefCell<Scripted>>);

impl Transport for Shared {
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        self.0.borrow_mut().transmit(command)
    }
}

struct Setup {
    version: Version,
    salt: Vec<u8>,
    password: Option<String>,
    card_random: VecDeque<u8>,
    host_random: VecDeque<u8>,
    creds: Vec<StoredCredential>,
    types: HashMap<String, OathType>,
    chunk: usize,
    time: u64,
    touch: TouchPolicy,
    client_only: bool,
}

fn hexv(s: &str) -> Vec<u8> {
    ykotp::transport::transcript::decode_hex(s).expect("hex")
}

fn setup(steps: &[Step]) -> Setup {
    let mut s = Setup {
        version: DEFAULT_VERSION,
        salt: vec![0; 8],
        password: None,
        card_random: VecDeque::new(),
        host_random: VecDeque::new(),
        creds: Vec::new(),
        types: HashMap::new(),
        chunk: 254,
        time: 0,
        touch: TouchPolicy::Approve,
        client_only: false,
    };
    for step in steps {
        let Step::Directive(name, args) = step else {
            continue;
        };
        let a = |i: usize| args.get(i).map(String::as_str).unwrap_or_else(|| panic!("@{name} needs argument {i}"));
        match name.as_str() {
            "version" => s.version = a(0).parse().unwrap(),
            "salt" => s.salt = hexv(a(0)),
            "password" => s.password = Some(a(0).to_owned()),
            "card-random" => s.card_random.extend(hexv(&args.join(""))),
            "host-random" => s.host_random.extend(hexv(&args.join(""))),
            "chunk" => s.chunk = a(0).parse().unwrap(),
            "time" => s.time = a(0).parse().unwrap(),
            "touch" => s.touch = a(0).parse().unwrap(),
            "client-only" => s.client_only = true,
            "cred" => {
                let (t, alg, c) = cred_args(&args[1..]);
                s.types.insert(a(0).to_owned(), t);
                let key = ykotp::otp::prepare_key(alg, &hexv(a(4)));
                s.creds.push(StoredCredential {
                    id: a(0).as_bytes().to_vec(),
                    kind: ykotp::oath::proto::type_alg_byte(t, alg),
                    digits: a(3).parse().unwrap(),
                    key: key.as_bytes().to_vec(),
                    touch: c.1,
                    only_increasing: false,
                    counter: c.0.into(),
                    last_challenge: None,
                });
            }
            "fill" => {
                for i in 0..a(0).parse::<usize>().unwrap() {
                    s.creds.push(StoredCredential {
                        id: format!("cred{i:02}").into_bytes(),
                        kind: 0x21,
                        digits: 6,
                        key: vec![0x31; 14],
                        touch: false,
                        only_increasing: false,
                        counter: 0,
                        last_challenge: None,
                    });
                }
            }
            other => panic!("unknown directive @{other}"),
        }
    }
    s
}

/// `TYPE ALG DIGITS HEX [touch] [counter=N]` → (type, alg, (counter, touch))
fn cred_args(args: &[String]) -> (OathType, Algorithm, (u32, bool)) {
    let t: OathType = args[0].parse().unwrap();
    let alg: Algorithm = args[1].parse().unwrap();
    let touch = args.iter().any(|a| a == "touch");
    let counter = args.iter().find_map(|a| a.strip_prefix("counter=")).map_or(0, |c| c.parse().unwrap());
    (t, alg, (counter, touch))
}

struct Env<'a> {
    random: &'a mut VecDeque<u8>,
    touch: TouchPolicy,
}

impl CardEnv for Env<'_> {
    fn random(&mut self, buf: &mut [u8]) {
        for b in buf {
            *b = self.random.pop_front().expect("the transcript's @card-random ran out");
        }
    }
    fn touch(&mut self, _id: &[u8]) -> bool {
        self.touch != TouchPolicy::Deny
    }
}

fn card_side(name: &str, steps: &[Step]) {
    let mut s = setup(steps);
    let mut state = KeyState::new(s.version, s.salt.clone().try_into().expect("8-byte salt"), Some(12345678));
    state.chunk_size = s.chunk;
    state.credentials = s.creds.clone();
    if let Some(pw) = &s.password {
        let key = derive_access_key(pw, &s.salt);
        state.access_key = Some(StoredAccessKey { algorithm: 0x21, key: key.as_bytes().to_vec() });
    }
    let mut key = VirtualKey::new(state);
    let mut env = Env { random: &mut s.card_random, touch: s.touch };
    let mut last = None;
    for step in steps {
        match step {
            Step::Command(c) => last = Some(key.process(c, &mut env)),
            Step::Response(want) => {
                let got = last.take().unwrap_or_else(|| panic!("{name}: < without >"));
                assert_eq!(encode_hex(&got), encode_hex(want), "{name}: the virtual key answered differently");
            }
            _ => {}
        }
    }
    assert!(key.state.check().is_ok(), "{name}: state invalid after replay");
}

fn client_side(name: &str, steps: &[Step]) {
    let mut s = setup(steps);
    let mut pairs = Vec::new();
    let mut pending = None;
    for step in steps {
        match step {
            Step::Command(c) => pending = Some(c.clone()),
            Step::Response(r) => pairs.push((pending.take().unwrap_or_else(|| panic!("{name}: < without >")), r.clone())),
            _ => {}
        }
    }
    let script = Shared(Rc::new(RefCell::new(Scripted::new(pairs))));
    let mut session: Option<Session<Shared>> = None;
    for step in steps {
        let Step::Op(words) = step else { continue };
        let (op, expect) = match words.iter().position(|w| w == "=>") {
            Some(i) => (&words[..i], Some(words[i + 1..].join(" "))),
            None => (&words[..], None),
        };
        if op[0] == "select" {
            // a new selection (e.g. after reset) replaces the old session
            match Session::select(Shared(script.0.clone())) {
                Ok(new) => session = Some(new),
                Err(e) => check(name, op, Err(format!("{e:?}")), &expect),
            }
            continue;
        }
        let sess = session.as_mut().unwrap_or_else(|| panic!("{name}: ! {} before ! select", op[0]));
        let outcome = run_op(sess, op, &mut s);
        check(name, op, outcome, &expect);
    }
    drop(session);
    assert_eq!(script.0.borrow().remaining(), 0, "{name}: the client did not send every scripted command");
}

fn check(name: &str, op: &[String], outcome: Result<String, String>, expect: &Option<String>) {
    match (outcome, expect) {
        (Ok(got), Some(want)) => assert_eq!(&got, want, "{name}: ! {}", op.join(" ")),
        (Ok(_), None) => {}
        (Err(e), Some(want)) if want.starts_with("error ") => {
            assert!(e.starts_with(&want[6..]), "{name}: ! {}: expected {want}, got {e}", op.join(" "))
        }
        (Err(e), _) => panic!("{name}: ! {} failed: {e}", op.join(" ")),
    }
}

fn take8(q: &mut VecDeque<u8>) -> [u8; 8] {
    std::array::from_fn(|_| q.pop_front().expect("the transcript's @host-random ran out"))
}

fn run_op(sess: &mut Session<Shared>, op: &[String], s: &mut Setup) -> Result<String, String> {
    let e = |e: ykotp::oath::Error| format!("{e:?}");
    let cred = |id: &str, s: &Setup| Credential::new(id.as_bytes().to_vec(), *s.types.get(id).unwrap_or(&OathType::Totp));
    match op[0].as_str() {
        "unlock" => {
            let key = sess.derive_key(&op[1]);
            sess.unlock(&key, &take8(&mut s.host_random)).map(|()| String::new()).map_err(e)
        }
        "list" => sess.list().map(|l| l.iter().map(|c| c.id_str()).collect::<Vec<_>>().join(" ")).map_err(e),
        "calculate" => sess.calculate(&cred(&op[1], s), s.time).map(|c| c.value).map_err(e),
        "calculate-raw" => sess.calculate_raw(op[1].as_bytes(), &hexv(&op[2])).map(hex::encode_upper).map_err(e),
        "calculate-all" => sess
            .calculate_all_codes(s.time)
            .map(|rows| {
                rows.iter()
                    .map(|r| format!("{}={}", r.credential.id_str(), r.code.as_ref().map_or("-", |c| c.value.as_str())))
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .map_err(e),
        "put" => {
            let (t, alg, (counter, touch)) = cred_args(&op[2..]);
            let id = &op[1];
            s.types.insert(id.clone(), t);
            let (issuer, name, period) = ykotp::oath::credential::parse_id(id, t);
            let data = CredentialData {
                name,
                issuer,
                oath_type: t,
                algorithm: alg,
                digits: op[4].parse().unwrap(),
                period: if t == OathType::Totp { period } else { 30 },
                counter,
                secret: Secret::new(hexv(&op[5])),
                touch,
            };
            assert_eq!(&data.id(), id, "put: id does not round-trip");
            sess.put(&data).map(|()| String::new()).map_err(e)
        }
        "delete" => sess.delete(op[1].as_bytes()).map(|()| String::new()).map_err(e),
        "rename" => sess.rename(op[1].as_bytes(), op[2].as_bytes()).map(|()| String::new()).map_err(e),
        "set-password" => {
            let key = sess.derive_key(&op[1]);
            sess.set_key(&key, &take8(&mut s.host_random)).map(|()| String::new()).map_err(e)
        }
        "clear-password" => sess.clear_key().map(|()| String::new()).map_err(e),
        "reset" => sess.reset().map(|()| String::new()).map_err(e),
        "device-id" => Ok(sess.device_id()),
        other => panic!("unknown op {other}"),
    }
}

#[test]
fn every_transcript_replays_on_both_sides() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("apdu");
    let mut files: Vec<_> =
        std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|e| e == "apdu")).collect();
    files.sort();
    assert!(files.len() >= 15, "expected the full set of transcripts, found {}", files.len());
    for path in files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let steps = parse(&std::fs::read_to_string(&path).unwrap()).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(steps.iter().any(|s| matches!(s, Step::Op(_))), "{name}: no client operation");
        client_side(&name, &steps);
        if !setup(&steps).client_only {
            card_side(&name, &steps);
        }
    }
}

/// Reference §4.4: SET CODE as a real YubiKey 5 (5.2.4) accepted it from the .NET SDK,
/// which sends algorithm byte 01 where ykman sends 21. Our proof computation must give
/// the traced MAC, and the virtual key must accept the traced APDU and echo the byte.
#[test]
fn real_set_code_trace() {
    let key: [u8; 16] = hexv("78 0E 45 A0 06 52 CC B0 8C 4B DA CD DA CA 51 34").try_into().unwrap();
    let challenge = hexv("F1 03 DA 89 58 E4 40 85");
    let mac = hexv("01 1E E1 FF 2A 98 2D 4D CC CD 8E B3 3A 12 E4 88 7E F5 E0 0C");
    assert_eq!(ykotp::otp::AccessKey::from_bytes(key).respond(&challenge), mac);
    let apdu = hexv("00 03 00 00 33 73 11 01 78 0E 45 A0 06 52 CC B0 8C 4B DA CD DA CA 51 34 74 08 F1 03 DA 89 58 E4 40 85 75 14 01 1E E1 FF 2A 98 2D 4D CC CD 8E B3 3A 12 E4 88 7E F5 E0 0C");
    let salt = hexv("91 B8 DA 1C 23 45 F2 6B");
    let mut card = VirtualKey::new(KeyState::new(Version(5, 2, 4), salt.try_into().unwrap(), None));
    let mut random = VecDeque::from(vec![0xC0; 8]);
    let mut env = Env { random: &mut random, touch: TouchPolicy::Approve };
    card.process(&hexv("00 A4 04 00 07 A0 00 00 05 27 21 01"), &mut env);
    assert_eq!(card.process(&apdu, &mut env), [0x90, 0x00]);
    let select = card.process(&hexv("00 A4 04 00 07 A0 00 00 05 27 21 01"), &mut env);
    assert!(encode_hex(&select).ends_with("74 08 C0 C0 C0 C0 C0 C0 C0 C0 7B 01 01 90 00"), "{}", encode_hex(&select));
    // a MAC that does not match its key is refused with 6984 and nothing changes
    let mut bad = apdu.clone();
    *bad.last_mut().unwrap() ^= 1;
    let mut fresh = VirtualKey::new(KeyState::new(Version(5, 2, 4), [0; 8], None));
    fresh.process(&hexv("00 A4 04 00 07 A0 00 00 05 27 21 01"), &mut env);
    assert_eq!(fresh.process(&bad, &mut env), [0x69, 0x84]);
    assert!(fresh.state.access_key.is_none());
}
