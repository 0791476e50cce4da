//! A small blocking HTTP/1.1 client: the evaluation harness drives Errand
//! only through its public API, like any other client, and needs nothing
//! more than one request per connection.
//!
//! ```no_run
//! let c = errand::eval::client::Client::new("http://127.0.0.1:8080").unwrap();
//! let r = c.send("GET", "/healthz", &[], None).unwrap();
//! assert_eq!(r.status, 200);
//! ```

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use anyhow::Context;
use serde_json::Value;

#[derive(Debug, Clone)]
pub struct Client {
    hostport: String,
}

#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    /// The status line and headers, as sent.
    pub head: String,
    pub body: String,
}

impl Response {
    /// A header's value, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().skip(1).find_map(|l| {
            let (n, v) = l.split_once(':')?;
            n.trim().eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }

    /// The body as JSON (`null` when it is not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }
}

impl Client {
    /// `base` is `http://host:port`; https is not spoken here.
    pub fn new(base: &str) -> anyhow::Result<Client> {
        let hostport = base
            .strip_prefix("http://")
            .with_context(|| format!("{base}: only http:// URLs are supported"))?
            .trim_end_matches('/');
        anyhow::ensure!(!hostport.is_empty(), "{base}: no host");
        Ok(Client {
            hostport: hostport.to_string(),
        })
    }

    /// One request on its own connection (`Connection: close`); a JSON body
    /// gets its content type. Chunked answers (server-sent events) are joined.
    pub fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&str>,
    ) -> std::io::Result<Response> {
        let mut s = TcpStream::connect(&self.hostport)?;
        s.set_read_timeout(Some(Duration::from_secs(60)))?;
        let mut req = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n",
            self.hostport
        );
        for (name, value) in headers {
            req.push_str(&format!("{name}: {value}\r\n"));
        }
        let body = body.unwrap_or("");
        if !body.is_empty() {
            req.push_str("Content-Type: application/json\r\n");
        }
        req.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
        s.write_all(req.as_bytes())?;
        let mut raw = Vec::new();
        s.read_to_end(&mut raw)?;
        let raw = String::from_utf8_lossy(&raw);
        let status = raw
            .split(' ')
            .nth(1)
            .and_then(|c| c.parse().ok())
            .ok_or_else(|| std::io::Error::other("no HTTP status line in the answer"))?;
        let head_end = raw.find("\r\n\r\n").map_or(raw.len(), |i| i + 4);
        let chunked = raw[..head_end]
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked");
        let body = if chunked {
            dechunk(&raw[head_end..])
        } else {
            raw[head_end..].to_string()
        };
        Ok(Response {
            status,
            head: raw[..head_end].trim_end().to_string(),
            body,
        })
    }

    /// A JSON request with an optional bearer token.
    pub fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> anyhow::Result<Response> {
        let auth = token.map(|t| format!("Bearer {t}"));
        let mut headers = vec![];
        if let Some(a) = &auth {
            headers.push(("Authorization", a.as_str()));
        }
        let body = body.map(Value::to_string);
        self.send(method, path, &headers, body.as_deref())
            .with_context(|| format!("{method} {path}"))
    }
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some(nl) = s.find("\r\n") {
        let Ok(n) = usize::from_str_radix(s[..nl].trim(), 16) else {
            break;
        };
        if n == 0 || s.len() < nl + 2 + n {
            break;
        }
        out.push_str(&s[nl + 2..nl + 2 + n]);
        s = s.get(nl + 2 + n + 2..).unwrap_or_default();
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn chunks_are_joined() {
        assert_eq!(
            super::dechunk("5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"),
            "hello world"
        );
        assert_eq!(super::dechunk("zz\r\n"), "");
    }
}
