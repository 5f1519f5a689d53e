//! Server-streaming gRPC calls on raw HTTP/2: many long-lived streams per connection, each opened
//! once its response headers are in, its messages read one by one as they arrive. As lean as the
//! unary client, so that thousands of streams cost the load core little.

use bytes::{Buf, Bytes, BytesMut};
use h2::RecvStream;

use super::client::{Call, Target, post};

/// An open stream: its messages as they come.
pub(crate) struct Messages {
    body: RecvStream,
    buffer: BytesMut,
}

/// Sends `call` on `sender`'s connection and waits for the response headers: the server has then
/// accepted the stream.
pub(crate) async fn open(
    sender: h2::client::SendRequest<Bytes>,
    target: &Target,
    call: &Call,
) -> Result<Messages, String> {
    let mut sender = sender.ready().await.map_err(|e| e.to_string())?;
    let request = post(target.scheme(), &target.addr.to_string(), call.path);
    let (response, mut body) = sender.send_request(request, false).map_err(|e| e.to_string())?;
    body.send_data(call.frame.clone(), true).map_err(|e| e.to_string())?;
    let response = response.await.map_err(|e| e.to_string())?;
    if let Some(status) = response.headers().get("grpc-status") {
        return Err(format!("refused at once: grpc-status {status:?}"));
    }
    Ok(Messages { body: response.into_body(), buffer: BytesMut::new() })
}

impl Messages {
    /// The next message's bytes; `None` when the stream ended, an error when it broke.
    pub(crate) async fn next(&mut self) -> Option<Result<Bytes, String>> {
        loop {
            if self.buffer.len() >= 5 {
                let length = u32::from_be_bytes([self.buffer[1], self.buffer[2], self.buffer[3], self.buffer[4]]);
                let length = usize::try_from(length).expect("a small message");
                if self.buffer.len() >= 5 + length {
                    self.buffer.advance(5);
                    return Some(Ok(self.buffer.split_to(length).freeze()));
                }
            }
            match self.body.data().await? {
                Ok(chunk) => {
                    let _ = self.body.flow_control().release_capacity(chunk.len());
                    self.buffer.extend_from_slice(&chunk);
                }
                Err(error) => return Some(Err(error.to_string())),
            }
        }
    }
}
