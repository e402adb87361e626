//! A std-only HTTP server on 127.0.0.1 that limits each client IP to 5 requests per 10 seconds
//! and answers 429 with `Retry-After` and the rate-limit headers when a client goes over.
//!
//! `cargo run --release -p brick-rate-limit --example http_429`, then
//! `for i in $(seq 7); do curl -si localhost:8080 | head -1; done`.

use brick_rate_limit::{Clock, Gcra, KeyedLimiter, SystemClock};
use std::io::{BufRead, BufReader, Write};
use std::net::{IpAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::time::Duration;

/// The per-IP limiter the server consults.
pub(crate) type PerIp<C> = KeyedLimiter<IpAddr, Gcra, C>;

/// Answers every connection on `listener`, one thread each, until the listener fails.
pub(crate) fn serve<C: Clock + 'static>(listener: TcpListener, limiter: Arc<PerIp<C>>) {
    for stream in listener.incoming().flatten() {
        let limiter = Arc::clone(&limiter);
        std::thread::spawn(move || {
            // A client that hangs up or sends garbage only loses its own connection.
            let _ = answer(stream, &limiter);
        });
    }
}

fn answer<C: Clock>(mut stream: TcpStream, limiter: &PerIp<C>) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    // Read the request head (we answer every path alike).
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    while reader.read_line(&mut line)? > 2 {
        line.clear();
    }
    let decision = limiter.check(&stream.peer_addr()?.ip());
    let (status, body) = if decision.allowed {
        ("200 OK", "hello\n")
    } else {
        ("429 Too Many Requests", "slow down\n")
    };
    let mut response = format!("HTTP/1.1 {status}\r\nContent-Length: {}\r\n", body.len());
    for (name, value) in decision.headers() {
        response += &format!("{name}: {value}\r\n");
    }
    response += "Connection: close\r\n\r\n";
    stream.write_all(response.as_bytes())?;
    stream.write_all(body.as_bytes())
}

#[allow(dead_code)] // the integration test includes this file for `serve` alone
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let limiter = KeyedLimiter::new(
        Gcra::new(5, Duration::from_secs(10))?,
        SystemClock::default(),
    );
    let listener = TcpListener::bind("127.0.0.1:8080")?;
    println!("listening on http://{}", listener.local_addr()?);
    serve(listener, Arc::new(limiter));
    Ok(())
}
