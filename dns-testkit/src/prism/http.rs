//! Just enough HTTP/1.1 for the relay to find where each message ends.
//!
//! Start lines, headers, chunk sizes and trailers are parsed by
//! [`httparse`] (the parser under hyper), so the relay follows whatever a
//! real client and server accept, including the corners a hand-written
//! parser gets wrong (obsolete line folding, chunk extensions, odd
//! whitespace); this module only decides how each body is framed.

use httparse::Status;

/// Headers a message may have for the relay to follow it (Prism's and the
/// fakes' messages have about ten). With more, the relay only copies.
const MAX_HEADERS: usize = 64;

/// The input does not parse as HTTP/1.1.
#[derive(Debug)]
pub(super) struct Malformed;

/// Header names (lower case) and values (trimmed).
pub(super) type Headers = Vec<(String, String)>;

/// The head of a request.
#[derive(Debug)]
pub(super) struct RequestHead {
    pub(super) method: String,
    pub(super) target: String,
    pub(super) headers: Headers,
    /// Bytes up to and including the blank line.
    pub(super) len: usize,
}

/// The head of a response.
#[derive(Debug)]
pub(super) struct ResponseHead {
    pub(super) status: u16,
    pub(super) headers: Headers,
    /// Bytes up to and including the blank line.
    pub(super) len: usize,
}

fn owned(headers: &[httparse::Header<'_>]) -> Headers {
    headers
        .iter()
        .map(|header| {
            let value = String::from_utf8_lossy(header.value);
            (header.name.to_ascii_lowercase(), value.trim().to_owned())
        })
        .collect()
}

/// The request head at the start of `buffer`, or `None` while incomplete.
pub(super) fn parse_request_head(buffer: &[u8]) -> Result<Option<RequestHead>, Malformed> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut request = httparse::Request::new(&mut headers);
    let Status::Complete(len) = request.parse(buffer).map_err(|_| Malformed)? else {
        return Ok(None);
    };
    Ok(Some(RequestHead {
        method: request.method.unwrap_or("?").to_owned(),
        target: request.path.unwrap_or("?").to_owned(),
        headers: owned(request.headers),
        len,
    }))
}

/// The response head at the start of `buffer`, or `None` while incomplete.
pub(super) fn parse_response_head(buffer: &[u8]) -> Result<Option<ResponseHead>, Malformed> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut response = httparse::Response::new(&mut headers);
    let Status::Complete(len) = response.parse(buffer).map_err(|_| Malformed)? else {
        return Ok(None);
    };
    Ok(Some(ResponseHead {
        status: response.code.ok_or(Malformed)?,
        headers: owned(response.headers),
        len,
    }))
}

/// The value of the first header called `name` (lower case).
pub(super) fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// How the body of a message ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Framing {
    Empty,
    Length(usize),
    Chunked,
    /// A response without a length: the body runs to the end of the
    /// connection.
    UntilClose,
}

impl Framing {
    pub(super) fn of(
        headers: &[(String, String)],
        no_body: bool,
        request: bool,
    ) -> Result<Self, Malformed> {
        if no_body {
            return Ok(Self::Empty);
        }
        if let Some(coding) = header(headers, "transfer-encoding") {
            let last = coding.rsplit(',').next().unwrap_or_default().trim();
            if last.eq_ignore_ascii_case("chunked") {
                return Ok(Self::Chunked);
            }
            return if request {
                Err(Malformed)
            } else {
                Ok(Self::UntilClose)
            };
        }
        if let Some(length) = header(headers, "content-length") {
            return length.parse().map(Self::Length).map_err(|_| Malformed);
        }
        Ok(if request {
            Self::Empty
        } else {
            Self::UntilClose
        })
    }
}

/// The body at the start of `buffer` and the bytes it takes, or `None`
/// while incomplete.
pub(super) fn take_body(
    buffer: &[u8],
    framing: &Framing,
) -> Result<Option<(Vec<u8>, usize)>, Malformed> {
    match framing {
        Framing::Empty => Ok(Some((Vec::new(), 0))),
        Framing::Length(n) => Ok(buffer.get(..*n).map(|body| (body.to_vec(), *n))),
        Framing::Chunked => dechunk(buffer),
        Framing::UntilClose => Ok(None),
    }
}

/// A chunked body at the start of `buffer`, decoded, and the bytes it
/// takes (trailers included), or `None` while incomplete.
fn dechunk(buffer: &[u8]) -> Result<Option<(Vec<u8>, usize)>, Malformed> {
    let mut body = Vec::new();
    let mut pos = 0;
    loop {
        let rest = buffer.get(pos..).unwrap_or_default();
        let Status::Complete((line, size)) =
            httparse::parse_chunk_size(rest).map_err(|_| Malformed)?
        else {
            return Ok(None);
        };
        pos += line;
        if size == 0 {
            // Trailers (header lines), up to an empty line.
            let mut trailers = [httparse::EMPTY_HEADER; MAX_HEADERS];
            let rest = buffer.get(pos..).unwrap_or_default();
            return match httparse::parse_headers(rest, &mut trailers).map_err(|_| Malformed)? {
                Status::Complete((len, _)) => Ok(Some((body, pos + len))),
                Status::Partial => Ok(None),
            };
        }
        let end = usize::try_from(size)
            .ok()
            .and_then(|size| pos.checked_add(size))
            .ok_or(Malformed)?;
        let Some(data) = buffer.get(pos..end) else {
            return Ok(None);
        };
        body.extend_from_slice(data);
        pos = end;
        match buffer.get(pos..pos + 2) {
            None | Some(b"\r") => return Ok(None),
            Some(b"\r\n") => pos += 2,
            Some(_) => return Err(Malformed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dechunks_bodies() {
        let wire = b"4\r\nWiki\r\n6;x=y\r\npedia \r\n0\r\n\r\nNEXT";
        let (body, used) = dechunk(wire).unwrap().unwrap();
        assert_eq!(body, b"Wikipedia ");
        assert_eq!(wire.get(used..), Some(&b"NEXT"[..]));
        assert!(dechunk(b"4\r\nWi").unwrap().is_none());
        assert!(dechunk(b"zz\r\n").is_err());
    }
}
