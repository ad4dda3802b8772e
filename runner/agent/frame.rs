//! The agent protocol's framing: every message on the agent's stdin and stdout is one
//! or more frames, `[u32 length, big-endian][u8 kind][payload]`, the length counting
//! the kind byte and the payload. No frame is larger than [`MAX_FRAME`], so a reader
//! never allocates more than that for one frame, whatever the peer sends; a message
//! longer than a frame (a big template's content, a long command output) is split in
//! [`Kind::MessagePart`] frames ended by one [`Kind::Message`] frame, and a whole
//! message is bounded by [`MAX_MESSAGE`]. A file's bytes (copy's `src`) travel as
//! [`Kind::Data`] frames that the reader writes out as they come (runner/agent/blob.rs).

use std::io::{self, Read, Write};

/// The largest frame, kind byte and payload: 1 MiB.
pub const MAX_FRAME: usize = 1 << 20;
/// The largest message (its parts put together): 256 MiB, the run's default memory limit.
pub const MAX_MESSAGE: usize = 256 << 20;

/// What a frame carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The last (or only) piece of a JSON message.
    Message = 1,
    /// A piece of a JSON message, more follows.
    MessagePart = 2,
    /// Bytes of a file announced by the message before.
    Data = 3,
}

impl Kind {
    fn from_byte(byte: u8) -> Option<Kind> {
        match byte {
            1 => Some(Kind::Message),
            2 => Some(Kind::MessagePart),
            3 => Some(Kind::Data),
            _ => None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    /// The peer closed the stream between frames: the ordinary end of a session.
    #[error("the connection closed")]
    Closed,
    #[error("the connection closed in the middle of a frame")]
    Truncated,
    #[error("a frame of {0} bytes is larger than the limit of {MAX_FRAME}")]
    TooLarge(usize),
    #[error("a message of more than {MAX_MESSAGE} bytes")]
    MessageTooLarge,
    #[error("an empty frame (no kind byte)")]
    Empty,
    #[error("a frame of unknown kind {0}")]
    UnknownKind(u8),
    #[error("a {got:?} frame where a {wanted} was expected")]
    Unexpected { got: Kind, wanted: &'static str },
    #[error("a message that is not valid: {0}")]
    Json(#[from] serde_json::Error),
    #[error("{0}")]
    Io(#[from] io::Error),
}

/// Read one frame; `Closed` when the stream ends cleanly before it.
pub fn read_frame(reader: &mut impl Read, buf: &mut Vec<u8>) -> Result<Kind, FrameError> {
    let mut header = [0u8; 4];
    let mut got = 0;
    while got < header.len() {
        match reader.read(&mut header[got..]) {
            Ok(0) if got == 0 => return Err(FrameError::Closed),
            Ok(0) => return Err(FrameError::Truncated),
            Ok(n) => got += n,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => return Err(err.into()),
        }
    }
    let length = u32::from_be_bytes(header) as usize;
    if length > MAX_FRAME {
        return Err(FrameError::TooLarge(length));
    }
    if length == 0 {
        return Err(FrameError::Empty);
    }
    let truncated = |err: io::Error| match err.kind() {
        io::ErrorKind::UnexpectedEof => FrameError::Truncated,
        _ => FrameError::Io(err),
    };
    let mut kind = [0u8];
    reader.read_exact(&mut kind).map_err(truncated)?;
    let kind = Kind::from_byte(kind[0]).ok_or(FrameError::UnknownKind(kind[0]))?;
    buf.clear();
    buf.resize(length - 1, 0);
    reader.read_exact(buf).map_err(truncated)?;
    Ok(kind)
}

/// Write one frame (`payload` at most `MAX_FRAME - 1` bytes).
pub fn write_frame(writer: &mut impl Write, kind: Kind, payload: &[u8]) -> io::Result<()> {
    debug_assert!(payload.len() < MAX_FRAME);
    let length = (payload.len() + 1) as u32;
    writer.write_all(&length.to_be_bytes())?;
    writer.write_all(&[kind as u8])?;
    writer.write_all(payload)
}

/// Write one message as JSON, in as many frames as it needs, and flush.
pub fn write_message(writer: &mut impl Write, message: &impl serde::Serialize) -> io::Result<()> {
    let bytes = serde_json::to_vec(message)?;
    let mut pieces = bytes.chunks(MAX_FRAME - 1).peekable();
    if pieces.peek().is_none() {
        write_frame(writer, Kind::Message, &[])?;
    }
    while let Some(piece) = pieces.next() {
        let kind = match pieces.peek() {
            Some(_) => Kind::MessagePart,
            None => Kind::Message,
        };
        write_frame(writer, kind, piece)?;
    }
    writer.flush()
}

/// What comes next on a stream where file bytes may come between messages (the
/// agent's replies to a fetch).
pub enum Incoming<T> {
    Message(T),
    /// One Data frame's bytes.
    Data(Vec<u8>),
}

/// Read one whole message, or one Data frame, whichever comes first.
pub fn read_incoming<T: serde::de::DeserializeOwned>(
    reader: &mut impl Read,
) -> Result<Incoming<T>, FrameError> {
    let mut frame = Vec::new();
    let mut message = Vec::new();
    loop {
        let kind = read_frame(reader, &mut frame)?;
        match kind {
            Kind::Data if message.is_empty() => return Ok(Incoming::Data(frame)),
            Kind::Data => {
                return Err(FrameError::Unexpected {
                    got: kind,
                    wanted: "message's next part",
                })
            }
            _ => {}
        }
        if message.len() + frame.len() > MAX_MESSAGE {
            return Err(FrameError::MessageTooLarge);
        }
        match kind {
            Kind::Message if message.is_empty() => {
                return Ok(Incoming::Message(serde_json::from_slice(&frame)?))
            }
            Kind::Message => {
                message.extend_from_slice(&frame);
                return Ok(Incoming::Message(serde_json::from_slice(&message)?));
            }
            _ => message.extend_from_slice(&frame),
        }
    }
}

/// Read one whole message (its parts put together) and decode it.
pub fn read_message<T: serde::de::DeserializeOwned>(
    reader: &mut impl Read,
) -> Result<T, FrameError> {
    let mut frame = Vec::new();
    let mut message = Vec::new();
    loop {
        let kind = read_frame(reader, &mut frame)?;
        if message.len() + frame.len() > MAX_MESSAGE {
            return Err(FrameError::MessageTooLarge);
        }
        match kind {
            Kind::MessagePart => message.extend_from_slice(&frame),
            Kind::Message if message.is_empty() => return Ok(serde_json::from_slice(&frame)?),
            Kind::Message => {
                message.extend_from_slice(&frame);
                return Ok(serde_json::from_slice(&message)?);
            }
            Kind::Data => {
                return Err(FrameError::Unexpected {
                    got: kind,
                    wanted: "message",
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn decode(bytes: &[u8]) -> Result<Value, FrameError> {
        read_message(&mut &bytes[..])
    }

    #[test]
    fn a_message_round_trips_in_one_frame() {
        let mut out = Vec::new();
        write_message(&mut out, &json!({"hello": 1})).unwrap();
        assert_eq!(out[4], Kind::Message as u8);
        assert_eq!(decode(&out).unwrap(), json!({"hello": 1}));
    }

    #[test]
    fn a_long_message_is_split_and_put_back_together() {
        let long = "x".repeat(3 * MAX_FRAME);
        let mut out = Vec::new();
        write_message(&mut out, &json!({ "content": long })).unwrap();
        let mut reader = &out[..];
        let mut frame = Vec::new();
        let mut kinds = Vec::new();
        while let Ok(kind) = read_frame(&mut reader, &mut frame) {
            assert!(frame.len() < MAX_FRAME);
            kinds.push(kind);
        }
        assert_eq!(kinds.len(), 4);
        assert_eq!(kinds.last(), Some(&Kind::Message));
        assert_eq!(
            decode(&out).unwrap()["content"].as_str().unwrap().len(),
            long.len()
        );
    }

    #[test]
    fn an_ended_stream_is_closed_and_a_cut_frame_truncated() {
        assert!(matches!(decode(b""), Err(FrameError::Closed)));
        assert!(matches!(decode(&[0, 0]), Err(FrameError::Truncated)));
        let mut out = Vec::new();
        write_message(&mut out, &json!({"a": "bcdef"})).unwrap();
        for cut in 1..out.len() {
            assert!(
                matches!(decode(&out[..cut]), Err(FrameError::Truncated)),
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn an_oversized_frame_is_refused_before_it_is_read() {
        let mut bytes = ((MAX_FRAME + 1) as u32).to_be_bytes().to_vec();
        bytes.push(Kind::Message as u8);
        assert!(matches!(decode(&bytes), Err(FrameError::TooLarge(_))));
        let huge = u32::MAX.to_be_bytes();
        assert!(matches!(decode(&huge), Err(FrameError::TooLarge(_))));
    }

    #[test]
    fn garbage_is_an_error_never_a_panic() {
        assert!(matches!(decode(&[0, 0, 0, 0]), Err(FrameError::Empty)));
        assert!(matches!(
            decode(&[0, 0, 0, 1, 9]),
            Err(FrameError::UnknownKind(9))
        ));
        assert!(matches!(
            decode(&[0, 0, 0, 3, 1, b'{', b'x']),
            Err(FrameError::Json(_))
        ));
        assert!(matches!(
            decode(&[0, 0, 0, 2, 3, 0]),
            Err(FrameError::Unexpected { .. })
        ));
        // Every prefix and every one-byte corruption of a good message: no panic.
        let mut good = Vec::new();
        write_message(&mut good, &json!({"run": [1, 2, {"x": null}]})).unwrap();
        for at in 0..good.len() {
            for byte in [0u8, 1, 2, 3, 0x7f, 0xff] {
                let mut bad = good.clone();
                bad[at] = byte;
                let _ = decode(&bad);
            }
        }
    }

    #[test]
    fn a_message_past_the_limit_is_refused() {
        // Parts that add up past MAX_MESSAGE, without building them all in memory.
        struct Parts(usize);
        impl Read for Parts {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                // One frame is MAX_FRAME bytes: a 4-byte header, a kind, the rest zeros.
                let frame_len = 4 + MAX_FRAME;
                let at = self.0 % frame_len;
                let n = buf.len().min(frame_len - at);
                for (i, byte) in buf[..n].iter_mut().enumerate() {
                    *byte = match at + i {
                        0..=3 => (MAX_FRAME as u32).to_be_bytes()[at + i],
                        4 => Kind::MessagePart as u8,
                        _ => b' ',
                    };
                }
                self.0 += n;
                Ok(n)
            }
        }
        let result: Result<Value, _> = read_message(&mut Parts(0));
        assert!(matches!(result, Err(FrameError::MessageTooLarge)));
    }
}
