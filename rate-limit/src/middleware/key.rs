//! Keys for the middleware: the peer's IP (optionally through trusted proxies), a header, or
//! any closure.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use http::{Extensions, HeaderMap, HeaderName, Method, Uri};

/// What a [`KeyExtractor`] sees of a request: everything but the body.
#[derive(Debug, Clone, Copy)]
pub struct RequestParts<'a> {
    /// The method.
    pub method: &'a Method,
    /// The URI (path and query).
    pub uri: &'a Uri,
    /// The headers.
    pub headers: &'a HeaderMap,
    /// The extensions: where servers put the peer's address (axum's `ConnectInfo`, or a
    /// `SocketAddr` your own accept loop inserts).
    pub extensions: &'a Extensions,
}

type PeerLookup = Arc<dyn Fn(&Extensions) -> Option<IpAddr> + Send + Sync>;
type KeyFn = Arc<dyn Fn(&RequestParts<'_>) -> Option<String> + Send + Sync>;

/// How the middleware names the client a request counts against. `None` (no key) is answered
/// as the layer's [`MissingKey`] says.
#[derive(Clone)]
pub struct KeyExtractor(Extract);

#[derive(Clone)]
enum Extract {
    Peer {
        lookup: PeerLookup,
        trusted: Option<TrustedProxies>,
    },
    Header(HeaderName),
    Fn(KeyFn),
}

impl fmt::Debug for KeyExtractor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Extract::Peer { trusted, .. } => f
                .debug_struct("KeyExtractor::PeerIp")
                .field("trusted", trusted)
                .finish_non_exhaustive(),
            Extract::Header(h) => f.debug_tuple("KeyExtractor::Header").field(h).finish(),
            Extract::Fn(_) => f.write_str("KeyExtractor::Fn"),
        }
    }
}

impl KeyExtractor {
    /// The TCP peer's IP address, read from the request's extensions as a [`SocketAddr`]
    /// (what a hyper accept loop can insert). For axum, whose `ConnectInfo<SocketAddr>` is a
    /// type of its own, use [`peer_ip_with`](Self::peer_ip_with):
    /// `KeyExtractor::peer_ip_with(|e| e.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip()))`.
    ///
    /// The forwarding headers are ignored: anyone can send `X-Forwarded-For`. Behind a proxy,
    /// see [`behind`](Self::behind).
    ///
    /// Computes in **O(1)** time.
    #[must_use]
    pub fn peer_ip() -> Self {
        Self::peer_ip_with(|e| e.get::<SocketAddr>().map(SocketAddr::ip))
    }

    /// The peer's IP address as `lookup` finds it in the extensions.
    ///
    /// Computes in **O(1)** time.
    pub fn peer_ip_with(
        lookup: impl Fn(&Extensions) -> Option<IpAddr> + Send + Sync + 'static,
    ) -> Self {
        Self(Extract::Peer {
            lookup: Arc::new(lookup),
            trusted: None,
        })
    }

    /// Opt-in trusted-proxy mode for [`peer_ip`](Self::peer_ip): when the TCP peer is one of
    /// `proxies`, the client is the nearest address that is not, reading `Forwarded` (RFC
    /// 7239 `for=`) or else `X-Forwarded-For` from the right, as each trusted hop appended
    /// it. Entries left of the first untrusted one are the client's own claims and are never
    /// used. A peer that is not a trusted proxy is the client, whatever the headers say.
    ///
    /// Computes in **O(1)** time.
    ///
    /// # Panics
    /// Never; on a header or claim it cannot parse, the nearest untrusted hop is unknown and
    /// the key is the last trusted proxy's address (so a broken proxy chain is limited as one
    /// client rather than escaping the limit).
    pub fn behind(self, proxies: TrustedProxies) -> Self {
        match self.0 {
            Extract::Peer { lookup, .. } => Self(Extract::Peer {
                lookup,
                trusted: Some(proxies),
            }),
            other => Self(other),
        }
    }

    /// The value of header `name` (an API key, a tenant id); a request without it, or with an
    /// empty or non-UTF-8 value, has no key.
    ///
    /// Computes in **O(1)** time.
    pub fn header(name: HeaderName) -> Self {
        Self(Extract::Header(name))
    }

    /// Any key: `f` sees the request's method, URI, headers and extensions. Combine several
    /// (`format!("{route}:{api_key}")`) for per-route limits.
    ///
    /// Computes in **O(1)** time.
    pub fn from_fn(
        f: impl Fn(&RequestParts<'_>) -> Option<String> + Send + Sync + 'static,
    ) -> Self {
        Self(Extract::Fn(Arc::new(f)))
    }

    /// The request's key, or `None`. Extracting allocates only for
    /// [`from_fn`](Self::from_fn) keys: a header's value is borrowed from the request and an
    /// IP address stays an [`IpAddr`], for a limiter keyed by addresses to use as it is.
    ///
    /// Computes in **O(1)** expected time for a header or a direct peer (one header-map lookup),
    /// **O(hops × networks)** behind trusted proxies (`X-Forwarded-For` is walked from the right),
    /// plus the closure of a [`from_fn`](Self::from_fn) key.
    pub fn extract<'r>(&self, parts: &RequestParts<'r>) -> Option<RequestKey<'r>> {
        let key = match &self.0 {
            Extract::Peer { lookup, trusted } => {
                let peer = lookup(parts.extensions)?;
                let ip = match trusted {
                    Some(t) if t.contains(peer) => t.client(peer, parts.headers),
                    _ => peer,
                };
                return Some(RequestKey(Repr::Ip(ip)));
            }
            Extract::Header(name) => RequestKey(Repr::Borrowed(
                parts.headers.get(name).and_then(|v| v.to_str().ok())?,
            )),
            Extract::Fn(f) => RequestKey(Repr::Owned(f(parts)?)),
        };
        (!key.text().is_empty()).then_some(key)
    }
}

/// A request's key as [`KeyExtractor::extract`] finds it: an IP address, text borrowed from
/// the request (a header's value), or a closure's string. Never empty.
///
/// ```
/// use brick_rate_limit::middleware::RequestKey;
/// use std::net::{IpAddr, Ipv4Addr};
///
/// let key = RequestKey::from(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)));
/// assert_eq!(key.ip(), Some(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1))));
/// assert_eq!(&*key.text(), "10.0.0.1"); // written on the stack, no allocation
/// assert_eq!(RequestKey::from("api-key-1").ip(), None);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RequestKey<'r>(Repr<'r>);

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Repr<'r> {
    Ip(IpAddr),
    Borrowed(&'r str),
    Owned(String),
}

impl<'r> RequestKey<'r> {
    /// The address, when the key is one (from a peer-IP extractor).
    ///
    /// Computes in **O(1)** time.
    #[must_use]
    pub fn ip(&self) -> Option<IpAddr> {
        match self.0 {
            Repr::Ip(ip) => Some(ip),
            _ => None,
        }
    }

    /// The key as text: an address as `Display` writes it (`10.0.0.1`, `2001:db8::1`), on the
    /// stack.
    ///
    /// Computes in **O(1)** time, allocating nothing (an address is formatted into a stack buffer).
    #[must_use]
    pub fn text(&self) -> KeyText<'_> {
        KeyText(match &self.0 {
            Repr::Ip(ip) => TextRepr::ip(*ip),
            Repr::Borrowed(s) => TextRepr::Str(s),
            Repr::Owned(s) => TextRepr::Str(s),
        })
    }
}

impl From<IpAddr> for RequestKey<'_> {
    fn from(ip: IpAddr) -> Self {
        Self(Repr::Ip(ip))
    }
}

impl<'r> From<&'r str> for RequestKey<'r> {
    fn from(s: &'r str) -> Self {
        Self(Repr::Borrowed(s))
    }
}

impl From<String> for RequestKey<'_> {
    fn from(s: String) -> Self {
        Self(Repr::Owned(s))
    }
}

impl fmt::Display for RequestKey<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text())
    }
}

/// The longest text of an IP address: an IPv6 address in eight full groups.
const IP_TEXT: usize = 39;

/// A [`RequestKey`]'s text ([`RequestKey::text`]); derefs to `str`.
#[derive(Clone)]
pub struct KeyText<'a>(TextRepr<'a>);

#[derive(Clone)]
enum TextRepr<'a> {
    Str(&'a str),
    Ip { text: [u8; IP_TEXT], len: u8 },
}

impl TextRepr<'_> {
    fn ip(ip: IpAddr) -> Self {
        let mut text = [0u8; IP_TEXT];
        let len = match ip {
            IpAddr::V4(v4) => write_ipv4(&mut text, v4.octets()),
            IpAddr::V6(v6) => {
                let mut cursor = std::io::Cursor::new(&mut text[..]);
                // Display never writes more than IP_TEXT bytes for an address (no zone).
                let _ = std::io::Write::write_fmt(&mut cursor, format_args!("{v6}"));
                cursor.position() as usize
            }
        };
        Self::Ip {
            text,
            len: len as u8,
        }
    }
}

/// Dotted decimal, as `Ipv4Addr`'s `Display` writes it, without the formatter's machinery.
fn write_ipv4(out: &mut [u8; IP_TEXT], octets: [u8; 4]) -> usize {
    let mut n = 0;
    for (i, o) in octets.into_iter().enumerate() {
        if i > 0 {
            out[n] = b'.';
            n += 1;
        }
        if o >= 100 {
            out[n] = b'0' + o / 100;
            n += 1;
        }
        if o >= 10 {
            out[n] = b'0' + o / 10 % 10;
            n += 1;
        }
        out[n] = b'0' + o % 10;
        n += 1;
    }
    n
}

impl std::ops::Deref for KeyText<'_> {
    type Target = str;

    fn deref(&self) -> &str {
        match &self.0 {
            TextRepr::Str(s) => s,
            // Written from ASCII digits, dots, colons and hex digits only.
            TextRepr::Ip { text, len } => {
                std::str::from_utf8(&text[..usize::from(*len)]).unwrap_or_default()
            }
        }
    }
}

impl fmt::Debug for KeyText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    #[test]
    fn ip_text_is_display() {
        // Every octet value in every position, and the widest IPv6 forms.
        for o in 0..=255u8 {
            for ip in [
                Ipv4Addr::new(o, 0, 255, 9),
                Ipv4Addr::new(1, o, 10, 100),
                Ipv4Addr::new(99, 100, o, 0),
                Ipv4Addr::new(255, 7, 19, o),
            ] {
                let ip = IpAddr::V4(ip);
                assert_eq!(&*RequestKey::from(ip).text(), ip.to_string());
            }
        }
        for ip in [
            Ipv6Addr::new(
                0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff,
            ),
            Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1),
            Ipv4Addr::new(255, 255, 255, 255).to_ipv6_mapped(),
            Ipv6Addr::UNSPECIFIED,
        ] {
            let ip = IpAddr::V6(ip);
            assert_eq!(&*RequestKey::from(ip).text(), ip.to_string());
        }
    }
}

/// Networks whose addresses are proxies of yours, for [`KeyExtractor::behind`].
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies {
    networks: Vec<(IpAddr, u8)>,
}

impl TrustedProxies {
    /// Parses CIDR networks (`"10.0.0.0/8"`, `"::1/128"`; a bare address is a /32 or /128).
    ///
    /// Computes in **O(networks)** time.
    ///
    /// # Errors
    /// The first entry that is not an address or network, as text.
    pub fn new<'a>(networks: impl IntoIterator<Item = &'a str>) -> Result<Self, String> {
        let mut out = Vec::new();
        for n in networks {
            let (addr, len) = match n.split_once('/') {
                Some((a, l)) => (a, Some(l)),
                None => (n, None),
            };
            let ip: IpAddr = addr.trim().parse().map_err(|_| n.to_owned())?;
            let max = if ip.is_ipv4() { 32 } else { 128 };
            let len = match len {
                Some(l) => l
                    .trim()
                    .parse::<u8>()
                    .ok()
                    .filter(|&l| l <= max)
                    .ok_or(n.to_owned())?,
                None => max,
            };
            out.push((ip, len));
        }
        Ok(Self { networks: out })
    }

    /// Whether `ip` is in one of the networks (an IPv4-mapped IPv6 address counts as IPv4).
    ///
    /// Computes in **O(networks)** time.
    #[must_use]
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.networks
            .iter()
            .any(|&(net, len)| match (canonical(net), ip) {
                (IpAddr::V4(n), IpAddr::V4(a)) => prefix_eq(&n.octets(), &a.octets(), len),
                (IpAddr::V6(n), IpAddr::V6(a)) => prefix_eq(&n.octets(), &a.octets(), len),
                _ => false,
            })
    }

    /// The nearest untrusted hop: the forwarding entries read from the right (nearest first),
    /// skipping trusted ones.
    fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let mut nearest = peer;
        for hop in forwarded_hops(headers).into_iter().rev() {
            match hop {
                Some(ip) if self.contains(ip) => nearest = ip,
                Some(ip) => return ip,
                // An entry we cannot read: stop at the last trusted address.
                None => return nearest,
            }
        }
        nearest
    }
}

fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

fn prefix_eq(net: &[u8], addr: &[u8], len: u8) -> bool {
    let (full, rest) = (usize::from(len / 8), len % 8);
    net[..full] == addr[..full] && (rest == 0 || (net[full] ^ addr[full]) >> (8 - rest) == 0)
}

/// The forwarding chain, client first: `Forwarded`'s `for=` values if that header is present
/// (RFC 7239, the standard), else `X-Forwarded-For`'s entries; `None` for an entry that is not
/// an address (`unknown`, an obfuscated identifier, garbage).
fn forwarded_hops(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    let forwarded: Vec<&str> = headers
        .get_all(http::header::FORWARDED)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    if !forwarded.is_empty() {
        return forwarded
            .iter()
            .flat_map(|v| v.split(','))
            .filter_map(|element| {
                element.split(';').find_map(|pair| {
                    let (k, v) = pair.split_once('=')?;
                    k.trim()
                        .eq_ignore_ascii_case("for")
                        .then(|| parse_node(v.trim()))
                })
            })
            .collect();
    }
    headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|entry| parse_node(entry.trim()))
        .collect()
}

/// An address as forwarding headers write it: `1.2.3.4`, `1.2.3.4:5678`, `"[2001:db8::1]:80"`,
/// `2001:db8::1`.
fn parse_node(v: &str) -> Option<IpAddr> {
    let v = v.trim_matches('"');
    if let Ok(ip) = v.parse() {
        return Some(ip);
    }
    if let Ok(sock) = v.parse::<SocketAddr>() {
        return Some(sock.ip());
    }
    v.strip_prefix('[')
        .and_then(|rest| rest.split(']').next())
        .and_then(|ip| ip.parse().ok())
}

/// What the layer answers for a request whose key cannot be extracted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MissingKey {
    /// Answer `400 Bad Request` without calling the inner service (the default): a limit that
    /// anyone can escape by omitting a header is no limit.
    #[default]
    Reject,
    /// Pass the request to the inner service unlimited (for keys that are optional, e.g. an API
    /// key that only raises a tier, with an IP limit in another layer).
    Allow,
}
