//! The one URL form the library accepts as its endpoint, `http[s]://host[:port][/prefix]`,
//! checked and normalised.
//!
//! A parser of this one form instead of a general URL library: the `url` crate brought IDNA and
//! Unicode normalisation tables (about a quarter of the static library) for host names an
//! endpoint never has, and libcurl's `curl_url` words its errors differently in every version
//! since 7.62. What the form does not cover (other schemes, credentials, queries, fragments,
//! non-ASCII hosts, `.`/`..` segments) is refused, never guessed at. Addresses are parsed by
//! `std::net`.

use std::net::{Ipv4Addr, Ipv6Addr};

use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};

/// Why an endpoint is not of the accepted form. Each caller words it for its own field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BadUrl {
    /// Not parseable as `scheme://authority/path`; the text says which part is wrong.
    NotAUrl(&'static str),
    /// A well-formed URL of another scheme (lowercased).
    Scheme(String),
    /// A host name with a non-ASCII character (an IDN not written in its `xn--` form).
    NonAsciiHost,
    /// `user[:password]@` in the authority.
    Credentials,
    /// A `?query` or `#fragment`.
    QueryOrFragment,
}

/// Path characters sent as they are; the rest are percent-encoded, as the WHATWG path set does
/// (an existing `%XX` stays as it is).
const PATH: &AsciiSet = &CONTROLS.add(b' ').add(b'"').add(b'<').add(b'>').add(b'`').add(b'{').add(b'}').add(b'\\');

/// Checks `raw` (surrounding whitespace ignored) and returns it as `scheme://host[:port][/prefix]`:
/// scheme and host lowercased, a default port dropped, no trailing slash, the path
/// percent-encoded where it must be.
pub fn parse(raw: &str) -> Result<String, BadUrl> {
    let s = raw.trim();
    let (scheme, rest) = match s.split_once(':') {
        Some((scheme, rest)) if is_scheme(scheme) => (scheme.to_ascii_lowercase(), rest),
        _ => return Err(BadUrl::NotAUrl("relative URL without a base")),
    };
    let default_port = match scheme.as_str() {
        "http" => 80,
        "https" => 443,
        _ => return Err(BadUrl::Scheme(scheme)),
    };
    let Some(rest) = rest.strip_prefix("//") else {
        return Err(BadUrl::NotAUrl("no // after the scheme"));
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    if authority.contains('@') {
        return Err(BadUrl::Credentials);
    }
    if tail.contains(['?', '#']) {
        return Err(BadUrl::QueryOrFragment);
    }
    let (host, port) = host_and_port(authority)?;
    let port = match port {
        Some(p) if p != default_port => format!(":{p}"),
        _ => String::new(),
    };
    if tail.split('/').any(|seg| seg == "." || seg == "..") {
        return Err(BadUrl::NotAUrl("a . or .. segment in the path"));
    }
    let path = utf8_percent_encode(tail.trim_end_matches('/'), PATH);
    Ok(format!("{scheme}://{host}{port}{path}"))
}

/// RFC 3986: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ).
fn is_scheme(s: &str) -> bool {
    let mut bytes = s.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_alphabetic())
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
}

/// The host (normalised) and the port, if one is written.
fn host_and_port(authority: &str) -> Result<(String, Option<u16>), BadUrl> {
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (addr, after) = v6.split_once(']').ok_or(BadUrl::NotAUrl("invalid IPv6 address"))?;
        let addr: Ipv6Addr = addr.parse().map_err(|_| BadUrl::NotAUrl("invalid IPv6 address"))?;
        let port = match after {
            "" => None,
            _ => Some(after.strip_prefix(':').ok_or(BadUrl::NotAUrl("invalid port number"))?),
        };
        (format!("[{addr}]"), port)
    } else {
        let (name, port) = match authority.split_once(':') {
            Some((name, port)) => (name, Some(port)),
            None => (authority, None),
        };
        (host_name(name)?, port)
    };
    let port = match port {
        None | Some("") => None,
        Some(p) if p.bytes().all(|b| b.is_ascii_digit()) => {
            Some(p.parse::<u16>().map_err(|_| BadUrl::NotAUrl("invalid port number"))?)
        }
        Some(_) => return Err(BadUrl::NotAUrl("invalid port number")),
    };
    Ok((host, port))
}

/// A DNS name or a dotted IPv4 address, lowercased.
fn host_name(name: &str) -> Result<String, BadUrl> {
    if name.is_empty() {
        return Err(BadUrl::NotAUrl("empty host"));
    }
    if !name.is_ascii() {
        return Err(BadUrl::NonAsciiHost);
    }
    if !name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_')) {
        return Err(BadUrl::NotAUrl("invalid domain character"));
    }
    // A name whose last label is a number is an IPv4 address (as the WHATWG URL standard
    // reads it), and then it must be a whole one.
    let last = name.strip_suffix('.').unwrap_or(name).rsplit('.').next().unwrap_or_default();
    if !last.is_empty() && last.bytes().all(|b| b.is_ascii_digit()) {
        let addr: Ipv4Addr =
            name.strip_suffix('.').unwrap_or(name).parse().map_err(|_| BadUrl::NotAUrl("invalid IPv4 address"))?;
        return Ok(addr.to_string());
    }
    Ok(name.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepted_forms_are_normalised() {
        for (raw, want) in [
            ("http://h", "http://h"),
            ("https://example.com/prefix/", "https://example.com/prefix"),
            ("  HTTPS://Edge.AdobeDC.net/  ", "https://edge.adobedc.net"),
            ("HTTP://127.0.0.1:8080", "http://127.0.0.1:8080"),
            ("http://h:80/a", "http://h/a"),
            ("https://h:443", "https://h"),
            ("https://h:80", "https://h:80"),
            ("http://h:/x", "http://h/x"),
            ("http://[::1]:9000/p", "http://[::1]:9000/p"),
            ("http://[0:0:0:0:0:0:0:1]", "http://[::1]"),
            ("http://my_host.internal-net.example/a/b//", "http://my_host.internal-net.example/a/b"),
            ("http://h/my prefix/é", "http://h/my%20prefix/%C3%A9"),
            ("http://h/a%20b", "http://h/a%20b"),
            ("http://10.0.0.1./x", "http://10.0.0.1/x"),
        ] {
            assert_eq!(parse(raw), Ok(want.to_owned()), "{raw:?}");
        }
    }

    #[test]
    fn refusals_say_what_is_wrong() {
        let not = |why: &'static str| Err(BadUrl::NotAUrl(why));
        for (raw, want) in [
            ("", not("relative URL without a base")),
            ("no url", not("relative URL without a base")),
            ("example.com/x", not("relative URL without a base")),
            ("://h", not("relative URL without a base")),
            ("1http://h", not("relative URL without a base")),
            ("ftp://h", Err(BadUrl::Scheme("ftp".into()))),
            ("FILE:///etc/passwd", Err(BadUrl::Scheme("file".into()))),
            ("mailto:a@b", Err(BadUrl::Scheme("mailto".into()))),
            ("http:h", not("no // after the scheme")),
            ("http:/h", not("no // after the scheme")),
            ("http://u:p@h", Err(BadUrl::Credentials)),
            ("http://@h", Err(BadUrl::Credentials)),
            ("http://h/?q", Err(BadUrl::QueryOrFragment)),
            ("http://h?q", Err(BadUrl::QueryOrFragment)),
            ("http://h/#x", Err(BadUrl::QueryOrFragment)),
            ("http:///x", not("empty host")),
            ("http://:80", not("empty host")),
            ("http://h:99999", not("invalid port number")),
            ("http://h:8o", not("invalid port number")),
            ("http://h:1:2", not("invalid port number")),
            ("http://[::1", not("invalid IPv6 address")),
            ("http://[nope]", not("invalid IPv6 address")),
            ("http://[::1]x", not("invalid port number")),
            ("http://bücher.example", Err(BadUrl::NonAsciiHost)),
            ("http://a b", not("invalid domain character")),
            ("http://a%2eb", not("invalid domain character")),
            ("http://a\\b", not("invalid domain character")),
            ("http://1.2.3.256", not("invalid IPv4 address")),
            ("http://1.2.3", not("invalid IPv4 address")),
            ("http://h/a/../b", not("a . or .. segment in the path")),
            ("http://h/./b", not("a . or .. segment in the path")),
        ] {
            assert_eq!(parse(raw), want, "{raw:?}");
        }
    }
}
