//! Two replicas of an orders store, each on its own thread, repair each other over a real TCP
//! connection on localhost: first with the Merkle descent, then with rateless IBLT
//! reconciliation, then with a plain full exchange for comparison. Each run finds the
//! differing keys, moves just those values (last writer wins, by version), and checks that the
//! replicas end identical. Prints bytes and round trips of each.
//!
//! `cargo run --release -p brick-merkle --example replica_repair`

use brick_merkle::{Difference, Reconciler, SyncSession, SyncTree};
use std::collections::BTreeMap;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;

/// key → (version, value). The tree hashes the version with the value, so a newer write of the
/// same value still counts as different.
#[derive(Clone, Default)]
struct Store(BTreeMap<Vec<u8>, Versioned>);

/// (version, value).
type Versioned = (u64, Vec<u8>);

impl Store {
    fn tree(&self) -> SyncTree {
        let mut t = SyncTree::with_expected_keys(self.0.len() as u64);
        let encoded: Vec<(Vec<u8>, Vec<u8>)> =
            self.0.iter().map(|(k, v)| (k.clone(), encode(v))).collect();
        t.extend(encoded.iter().map(|(k, v)| (k.as_slice(), v.as_slice())));
        t
    }

    /// Last writer wins.
    fn apply(&mut self, key: Vec<u8>, v: (u64, Vec<u8>)) {
        match self.0.get(&key) {
            Some(old) if old.0 >= v.0 => {}
            _ => {
                self.0.insert(key, v);
            }
        }
    }
}

fn encode((version, value): &(u64, Vec<u8>)) -> Vec<u8> {
    [&version.to_le_bytes()[..], value].concat()
}

/// A length-prefixed frame on the stream, counting bytes.
struct Link {
    r: BufReader<TcpStream>,
    w: BufWriter<TcpStream>,
    sent: u64,
    received: u64,
}

fn read_frame(r: &mut impl Read) -> io::Result<Vec<u8>> {
    let mut len = [0u8; 4];
    r.read_exact(&mut len)?;
    let mut buf = vec![0u8; u32::from_le_bytes(len) as usize];
    r.read_exact(&mut buf)?;
    Ok(buf)
}

impl Link {
    fn new(s: TcpStream) -> io::Result<Self> {
        s.set_nodelay(true)?;
        Ok(Self {
            r: BufReader::new(s.try_clone()?),
            w: BufWriter::new(s),
            sent: 0,
            received: 0,
        })
    }
    fn send(&mut self, frame: &[u8]) -> io::Result<()> {
        self.w.write_all(&(frame.len() as u32).to_le_bytes())?;
        self.w.write_all(frame)?;
        self.w.flush()?;
        self.sent += 4 + frame.len() as u64;
        Ok(())
    }
    fn recv(&mut self) -> io::Result<Vec<u8>> {
        let buf = read_frame(&mut self.r)?;
        self.received += 4 + buf.len() as u64;
        Ok(buf)
    }
}

/// Key/value lists for the repair step: count, then (key, version, value) each.
fn pack(items: &[(Vec<u8>, Versioned)]) -> Vec<u8> {
    let mut out = (items.len() as u32).to_le_bytes().to_vec();
    for (k, (ver, v)) in items {
        for part in [k.as_slice(), v.as_slice()] {
            out.extend_from_slice(&(part.len() as u32).to_le_bytes());
            out.extend_from_slice(part);
        }
        out.extend_from_slice(&ver.to_le_bytes());
    }
    out
}

fn unpack(bytes: &[u8]) -> Vec<(Vec<u8>, Versioned)> {
    let mut pos = 0;
    let mut take = |n: usize| {
        let s = &bytes[pos..pos + n];
        pos += n;
        s
    };
    let u32_at = |s: &[u8]| u32::from_le_bytes([s[0], s[1], s[2], s[3]]) as usize;
    let n = u32_at(take(4));
    (0..n)
        .map(|_| {
            let klen = u32_at(take(4));
            let k = take(klen).to_vec();
            let vlen = u32_at(take(4));
            let v = take(vlen).to_vec();
            let ver = u64::from_le_bytes(take(8).try_into().expect("8 bytes"));
            (k, (ver, v))
        })
        .collect()
}

#[derive(Clone, Copy, Debug)]
enum Protocol {
    Merkle,
    Iblt,
    Full,
}

/// The initiator: finds the differences, then asks for the values it lacks and pushes the ones
/// the peer lacks, in one more round trip. Returns the bytes both ways of the sync and of the
/// repair, the round trips, and the differences found.
fn initiate(
    link: &mut Link,
    store: &mut Store,
    protocol: Protocol,
) -> io::Result<(u64, u64, u64, usize)> {
    let tree = store.tree();
    let mut round_trips = 0;
    let diff: Vec<Difference> = match protocol {
        Protocol::Merkle | Protocol::Full => {
            let mut s = SyncSession::new(&tree);
            let first = if matches!(protocol, Protocol::Full) {
                s.start_full()
            } else {
                s.start()
            };
            link.send(&first.to_bytes())?;
            loop {
                let reply = link.recv()?;
                round_trips += 1;
                match s.handle_bytes(&reply).map_err(io::Error::other)? {
                    Some(next) => link.send(&next)?,
                    None => break,
                }
            }
            s.differences().unwrap_or_default().to_vec()
        }
        Protocol::Iblt => {
            let mut r = Reconciler::new(&tree);
            link.send(&r.start().to_bytes())?;
            round_trips += 1;
            while !r.is_done() {
                // Acknowledgements as they fall due, then the stop.
                if let Some(reply) = r.handle_bytes(&link.recv()?).map_err(io::Error::other)? {
                    link.send(&reply)?;
                }
            }
            // The symbols already in flight when the stop went out, up to the end marker.
            while !link.recv()?.is_empty() {}
            r.differences().unwrap_or_default().to_vec()
        }
    };
    let sync_bytes = link.sent + link.received;
    // Repair: the keys we want, and our entries for every key the peer lacks or may hold older.
    let (mut want, mut push) = (Vec::new(), Vec::new());
    for d in &diff {
        let k = d.key().to_vec();
        if !matches!(d, Difference::MissingThere(_)) {
            want.push((k.clone(), (0, Vec::new())));
        }
        if let Some(v) = store.0.get(&k) {
            push.push((k, v.clone()));
        }
    }
    link.send(&pack(&want))?;
    link.send(&pack(&push))?;
    for (k, v) in unpack(&link.recv()?) {
        store.apply(k, v);
    }
    round_trips += 1;
    Ok((
        sync_bytes,
        link.sent + link.received - sync_bytes,
        round_trips,
        diff.len(),
    ))
}

/// The responder: answers the sync, then sends the values asked for and applies those pushed.
fn respond(link: &mut Link, store: &mut Store, protocol: Protocol) -> io::Result<()> {
    let tree = store.tree();
    match protocol {
        Protocol::Merkle | Protocol::Full => {
            let mut s = SyncSession::new(&tree);
            while !s.is_done() {
                if let Some(reply) = s.handle_bytes(&link.recv()?).map_err(io::Error::other)? {
                    link.send(&reply)?;
                }
            }
        }
        Protocol::Iblt => {
            let mut r = Reconciler::new(&tree);
            let first = r.handle_bytes(&link.recv()?).map_err(io::Error::other)?;
            link.send(&first.unwrap_or_default())?;
            // Stream while a reader thread takes the initiator's acknowledgements (each lets the
            // stream run a window further) until its stop.
            let (tx, rx) = std::sync::mpsc::channel::<Vec<u8>>();
            let received = thread::scope(|scope| -> io::Result<u64> {
                let r_half = &mut link.r;
                let reader = scope.spawn(move || -> io::Result<u64> {
                    let mut bytes = 0;
                    loop {
                        let frame = read_frame(r_half)?;
                        bytes += 4 + frame.len() as u64;
                        let stop = frame.get(5) == Some(&3);
                        if tx.send(frame).is_err() || stop {
                            return Ok(bytes);
                        }
                    }
                });
                while !r.is_done() {
                    // Take every reply that arrived; wait for one only when the window is full.
                    for reply in rx.try_iter() {
                        r.handle_bytes(&reply).map_err(io::Error::other)?;
                    }
                    match r.next_frame() {
                        Some(f) => {
                            let bytes = f.to_bytes();
                            link.w.write_all(&(bytes.len() as u32).to_le_bytes())?;
                            link.w.write_all(&bytes)?;
                            link.w.flush()?;
                            link.sent += 4 + bytes.len() as u64;
                        }
                        None if r.is_done() => {}
                        None => {
                            let reply = rx.recv().map_err(io::Error::other)?;
                            r.handle_bytes(&reply).map_err(io::Error::other)?;
                        }
                    }
                }
                reader.join().expect("reader thread")
            })?;
            link.received += received;
            link.send(&[])?;
        }
    }
    let want = unpack(&link.recv()?);
    let pushed = unpack(&link.recv()?);
    let answer: Vec<_> = want
        .into_iter()
        .filter_map(|(k, _)| store.0.get(&k).map(|v| (k, v.clone())))
        .collect();
    link.send(&pack(&answer))?;
    for (k, v) in pushed {
        store.apply(k, v);
    }
    Ok(())
}

fn main() -> io::Result<()> {
    let base: Store = Store(
        (0..200_000u64)
            .map(|i| {
                (
                    format!("order:{i:07}").into_bytes(),
                    (1, format!("status=paid;amount={}", i % 997).into_bytes()),
                )
            })
            .collect(),
    );
    println!(
        "two replicas of {} orders over TCP on localhost\n",
        base.0.len()
    );
    println!(
        "{:<8} {:>9} {:>12} {:>12} {:>12} {:>11}",
        "drift", "protocol", "differences", "sync bytes", "repair bytes", "round trips"
    );
    for drift in [10u64, 1_000, 40_000] {
        let (mut a, mut b) = (base.clone(), base.clone());
        // B missed some writes, A missed some deletes, and a few orders changed on both sides.
        for j in 0..drift {
            let key = format!("order:{:07}", j * (200_000 / drift)).into_bytes();
            match j % 3 {
                0 => a.apply(key, (2, b"status=refunded".to_vec())),
                1 => {
                    b.0.remove(&key);
                }
                _ => b.apply(key, (3, b"status=shipped".to_vec())),
            }
        }
        for protocol in [Protocol::Merkle, Protocol::Iblt, Protocol::Full] {
            let (mut ra, mut rb) = (a.clone(), b.clone());
            let listener = TcpListener::bind("127.0.0.1:0")?;
            let addr = listener.local_addr()?;
            let server = thread::spawn(move || -> io::Result<Store> {
                let (stream, _) = listener.accept()?;
                respond(&mut Link::new(stream)?, &mut rb, protocol)?;
                Ok(rb)
            });
            let (sync, repair, round_trips, found) = initiate(
                &mut Link::new(TcpStream::connect(addr)?)?,
                &mut ra,
                protocol,
            )?;
            let rb = server.join().expect("responder thread")?;
            // A deleted key comes back from the replica that still has it: repairing deletes
            // needs tombstones (store the deletion as a versioned value).
            assert_eq!(
                ra.tree().root(),
                rb.tree().root(),
                "replicas identical after repair"
            );
            println!(
                "{drift:<8} {:>9} {found:>12} {sync:>12} {repair:>12} {round_trips:>11}",
                format!("{protocol:?}")
            );
        }
    }
    Ok(())
}
